"""The operator page of background jobs: when each job last ran, what it did, what failed,
and a button to run matching now for a street or community."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.access import Action, areas_for, can
from portal.errors import DomainError, PermissionDenied
from portal.models import Area, JobRun
from portal.models.jobs import JOB_LABELS
from portal.selectors_jobs import job_runs_for, last_matching_by_street

PAGE_SIZE = 50


class JobRunFilter(django_filters.FilterSet):
    job = django_filters.ChoiceFilter(
        label=gettext_lazy("Job"),
        choices=list(JOB_LABELS.items()),
        empty_label=gettext_lazy("Any job"),
    )
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"),
        choices=JobRun.Status.choices,
        empty_label=gettext_lazy("Any status"),
    )

    class Meta:
        model = JobRun
        fields = ["job", "status"]


class RunMatchingForm(forms.Form):
    area = forms.ModelChoiceField(
        label=gettext_lazy("Street or community"), queryset=Area.objects.none()
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas_for(
            user, Action.JOB_RUN, levels=[Area.Level.STREET, Area.Level.COMMUNITY]
        ).order_by("path")


@login_required
def job_runs(request):
    """Recent runs in the user's reach with filters, and the run-matching form."""
    user = request.user
    if not can(user, Action.JOB_VIEW) and not can(user, Action.JOB_RUN):
        raise PermissionDenied(_("You cannot see background jobs."))
    form = RunMatchingForm(request.POST or None, user=user) if can(user, Action.JOB_RUN) else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("You cannot run matching."))
        if form.is_valid():
            from resources.services.matching import request_matching

            try:
                request_matching(area=form.cleaned_data["area"], by=user)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("Matching for %(area)s is queued; proposals appear when it finishes.")
                    % {"area": form.cleaned_data["area"]},
                )
                return redirect("job_runs")
        status = 400
    filterset = JobRunFilter(request.GET or None, queryset=job_runs_for(user=user))
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/job_runs.html",
        {
            "filter": filterset,
            "page_obj": page,
            "form": form,
            "streets": last_matching_by_street(user=user) if can(user, Action.JOB_VIEW) else [],
        },
        status=status,
    )

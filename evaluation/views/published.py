"""Published evaluation results for the people of the area (红黑榜), and a member's or unit
contact's own score breakdowns, with the activities they may still rate."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from evaluation.breakdown import breakdown_of
from evaluation.forms_annual import ActivityRatingForm
from evaluation.selectors_annual import (
    adjustments_for,
    get_publication,
    own_results,
    own_unit_results,
    publications_for,
    published_results,
)
from evaluation.selectors_ratings import activities_to_rate, get_rateable_activity
from evaluation.services.ratings import rate_activity
from portal.access import Action, can
from portal.errors import DomainError, PermissionDenied
from reporting.models import Activity
from reporting.selectors_enrollment import member_of


@login_required
@require_GET
def publications(request):
    """The published results addressed to the user's area, newest year first."""
    if not can(request.user, Action.EVALUATION_RESULTS):
        raise PermissionDenied(_("You cannot view evaluation results."))
    return render(
        request,
        "evaluation/published_list.html",
        {"publications": list(publications_for(request.user))},
    )


@login_required
@require_GET
def publication(request, pk: int):
    """One street's published ranking with its red and black lists, and each community's."""
    published = get_publication(user=request.user, pk=pk)
    results = list(published_results(publication=published))
    by_community = defaultdict(list)
    for result in sorted(
        results, key=lambda r: (r.community.path, r.unit_id or 0, r.community_rank)
    ):
        by_community[result.community].append(result)
    return render(
        request,
        "evaluation/published_detail.html",
        {
            "publication": published,
            "members": [r for r in results if r.member_id],
            "units": [r for r in results if r.unit_id],
            "red": [r for r in results if r.street_standing == "red"],
            "black": [r for r in results if r.street_standing == "black"],
            "communities": dict(by_community),
        },
    )


def _with_breakdowns(results):
    adjustments = adjustments_for(results)
    return [(r, breakdown_of(r), adjustments[r.pk]) for r in results]


@login_required
@require_GET
def my_evaluation(request):
    """My own published results (as a member, and as the contact of units), and the
    activities I served in that I can still rate."""
    member = member_of(request.user)
    mine = list(own_results(member=member)) if member else []
    units = list(own_unit_results(request.user))
    activities = activities_to_rate(member) if member else []
    return render(
        request,
        "evaluation/my_evaluation.html",
        {
            "member": member,
            "results": _with_breakdowns(mine),
            "unit_results": _with_breakdowns(units),
            "activities": [(a, ActivityRatingForm(auto_id=f"id_a{a.pk}_%s")) for a in activities],
        },
    )


@login_required
@require_POST
def rate_activity_view(request, pk: int):
    """A member rates an activity they served in; once."""
    member = member_of(request.user)
    if member is None:
        raise PermissionDenied(_("Only registered party members can rate activities."))
    try:
        activity = get_rateable_activity(member=member, pk=pk)
    except Activity.DoesNotExist:
        raise Http404(_("Only members who served in an activity can rate it.")) from None
    form = ActivityRatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose 1 to 5 stars."))
        return redirect("evaluation:my_evaluation")
    try:
        rate_activity(
            activity=activity,
            member=member,
            stars=form.cleaned_data["stars"],
            comment=form.cleaned_data["comment"],
        )
    except DomainError as exc:
        messages.warning(request, exc.message)
    else:
        messages.success(
            request, _("Thank you for rating “%(title)s”.") % {"title": activity.title}
        )
    return redirect("evaluation:my_evaluation")

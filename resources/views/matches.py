"""Match proposals: the list of live proposals, and accepting or rejecting one."""

from __future__ import annotations

import django_filters
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from portal.access import Action, areas_for, can
from portal.errors import DomainError, PermissionDenied
from portal.models import Area
from resources.models import Match, MatchStatus
from resources.selectors_matches import get_match, matches_for, with_explanations
from resources.services.matches import accept_match, reject_match

PAGE_SIZE = 25


class MatchFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"),
        choices=MatchStatus.choices,
        empty_label=gettext_lazy("Any status"),
    )
    community = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Community"),
        field_name="need__community",
        queryset=lambda request: (
            areas_for(request.user, Action.NEED_VIEW, levels=[Area.Level.COMMUNITY]).order_by(
                "path"
            )
            if request
            else Area.objects.none()
        ),
        empty_label=gettext_lazy("Any community"),
    )

    class Meta:
        model = Match
        fields = ["status", "community"]


@login_required
@require_GET
def match_list(request):
    """Proposals (by default the live ones) in the user's reach, best first."""
    user = request.user
    if not can(user, Action.NEED_VIEW):
        raise PermissionDenied(_("You cannot see needs."))
    data = request.GET.copy()
    data.setdefault("status", MatchStatus.PROPOSED)
    filterset = MatchFilter(data, queryset=matches_for(user), request=request)
    qs = filterset.qs.order_by("-score", "-proposed_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = with_explanations(page.object_list)
    return render(
        request,
        "resources/match_list.html",
        {"filter": filterset, "page_obj": page, "can_decide": can(user, Action.MATCH_DECIDE)},
    )


def _back(request, match: Match) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("resources:need_detail", args=[match.need_id])


@login_required
@require_POST
def match_accept(request, pk: int):
    """Accept a proposal; optionally go on to plan a project or an activity with it."""
    match = get_match(user=request.user, pk=pk)
    try:
        accept_match(match=match, by=request.user)
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_back(request, match))
    messages.success(
        request,
        _("Matched: %(need)s ← %(resource)s")
        % {"need": match.need.tracking_number, "resource": match.resource.name},
    )
    then = request.POST.get("then")
    if then == "project" and can(request.user, Action.PROJECT_CHANGE, area=match.need.community):
        return redirect(
            f"{reverse('resources:project_create')}?need={match.need_id}&resource={match.resource_id}"
        )
    if then == "activity" and can(request.user, Action.ACTIVITY_MANAGE, area=match.need.community):
        return redirect(f"{reverse('reporting:activity_create')}?need={match.need_id}")
    return redirect(_back(request, match))


@login_required
@require_POST
def match_reject(request, pk: int):
    """Reject a proposal with a reason; the pair is not proposed again."""
    match = get_match(user=request.user, pk=pk)
    try:
        reject_match(match=match, by=request.user, reason=request.POST.get("reason", ""))
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Proposal rejected; it will not be made again."))
    return redirect(_back(request, match))

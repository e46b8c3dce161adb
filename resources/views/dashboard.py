"""The staff dashboard: the three lists at a glance and the needs about to breach the clock."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from portal.access import Action, can
from portal.errors import PermissionDenied
from reporting.selectors_enrollment import enrollment_overview
from resources import selectors
from resources.selectors_escalation import escalated_panel
from resources.selectors_matches import open_proposals, with_explanations

PROPOSALS_SHOWN = 5


@login_required
@require_GET
def dashboard(request):
    """Counts, due-soon and overdue needs in the user's reach, and quick links."""
    user = request.user
    if not can(user, Action.DASHBOARD_VIEW):
        raise PermissionDenied(_("You cannot use the staff dashboard."))
    now = timezone.now()
    proposals = open_proposals(user=user)
    return render(
        request,
        "resources/dashboard.html",
        {
            "board": selectors.dashboard(user=user, now=now),
            "now": now,
            "can_create_need": can(user, Action.NEED_CREATE),
            # None without enrollment reach: the tile is then left out.
            "enrollment": enrollment_overview(user=user),
            "escalated": escalated_panel(user=user),
            "proposals": with_explanations(proposals[:PROPOSALS_SHOWN]),
            "proposal_count": proposals.count(),
            "can_decide": can(user, Action.MATCH_DECIDE),
            # KPI tiles of the user's area, loaded by htmx after the page (evaluation.views.kpi).
            "kpi_tiles": True,
        },
    )

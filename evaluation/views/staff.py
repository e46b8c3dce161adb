"""Staff pages of points: the ledger of the area and the rule editor."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from evaluation.forms import PointLedgerFilter, PointRuleForm
from evaluation.models import DEFAULT_RULES, PointEvent
from evaluation.selectors import ledger_for, rules_for
from evaluation.services.rules import set_point_rule
from portal.access import Action, can
from portal.errors import DomainError, PermissionDenied

PAGE_SIZE = 50
SORTS = {
    "occurred_on": "occurred_on",
    "points": "points",
    "event": "event",
    "community": "community__path",
}
DEFAULT_SORT = "-occurred_on"


@login_required
@require_GET
def ledger(request):
    """Entries booked in the user's reach, filtered, sorted and paged."""
    if not can(request.user, Action.POINTS_VIEW):
        raise PermissionDenied(_("You cannot view the points ledger."))
    sort = request.GET.get("sort", DEFAULT_SORT)
    if sort.lstrip("-") not in SORTS:
        sort = DEFAULT_SORT
    column = SORTS[sort.lstrip("-")]
    order = f"-{column}" if sort.startswith("-") else column
    filterset = PointLedgerFilter(
        request.GET, queryset=ledger_for(request.user).order_by(order, "-id"), request=request
    )
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "evaluation/ledger.html",
        {
            "filter": filterset,
            "page_obj": page,
            "sort": sort,
            "can_edit_rules": can(request.user, Action.SETTING_CHANGE),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def rules(request):
    """District officials and city administrators set point rules for their areas."""
    if not can(request.user, Action.SETTING_CHANGE):
        raise PermissionDenied(_("You cannot change point rules."))
    form = PointRuleForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                set_point_rule(
                    area=data["area"],
                    event=data["event"],
                    year=data["year"],
                    points=data["points"],
                    daily_cap=data["daily_cap"],
                    active=data["active"],
                    by=request.user,
                )
            except PermissionDenied:
                raise
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Point rule saved."))
                return redirect("evaluation:rules")
        status = 400
    labels = dict(PointEvent.choices)
    defaults = [(labels[event], points, cap) for event, (points, cap) in DEFAULT_RULES.items()]
    return render(
        request,
        "evaluation/rules.html",
        {"form": form, "rules": rules_for(request.user), "defaults": defaults},
        status=status,
    )

"""My points: balance, history, my community's shop and my redemptions (members and units)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from evaluation.forms import ReasonForm, RedeemForm
from evaluation.selectors import (
    balance_of,
    catalogue,
    get_own_redemption,
    get_own_unit,
    get_shop_reward,
    history_of,
    redemptions_of,
    units_with_balances,
)
from evaluation.services.rewards import cancel_redemption, request_redemption
from portal.errors import DomainError, PermissionDenied
from reporting.selectors_enrollment import member_of

HISTORY_PAGE = 20
RECENT_REDEMPTIONS = 20


@login_required
@require_GET
def my_points(request):
    """A member's balance, history, shop and redemptions; a unit contact's units and balances."""
    member = member_of(request.user)
    units = units_with_balances(request.user)
    context = {"member": member, "units": units}
    if member is not None:
        balance = balance_of(member=member)
        rewards = list(catalogue(community=member.home_community))
        for reward in rewards:
            reward.form = RedeemForm.fresh()
            reward.affordable = reward.points_cost <= balance
        context |= {
            "balance": balance,
            "page_obj": Paginator(history_of(member=member), HISTORY_PAGE).get_page(
                request.GET.get("page")
            ),
            "rewards": rewards,
            "redemptions": redemptions_of(member)[:RECENT_REDEMPTIONS],
        }
    return render(request, "evaluation/my_points.html", context)


@login_required
@require_GET
def unit_points(request, pk: int):
    """The balance and history of a unit the user is the contact of."""
    unit = get_own_unit(user=request.user, pk=pk)
    page = Paginator(history_of(unit=unit), HISTORY_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "evaluation/unit_points.html",
        {"unit": unit, "balance": balance_of(unit=unit), "page_obj": page},
    )


@login_required
@require_POST
def redeem(request, pk: int):
    """Redeem points for one unit of a reward of my home community's shop."""
    member = member_of(request.user)
    if member is None:
        raise PermissionDenied(_("Only registered party members can redeem points."))
    reward = get_shop_reward(member=member, pk=pk)
    form = RedeemForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("This form has expired; please try again."))
        return redirect("evaluation:my_points")
    try:
        redemption = request_redemption(
            reward=reward,
            member=member,
            idempotency_key=form.cleaned_data["idempotency_key"],
            by=request.user,
        )
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Redeemed %(points)s points for %(reward)s. Collect it from your community office.")
            % {"points": redemption.points, "reward": reward.name},
        )
    return redirect("evaluation:my_points")


@login_required
@require_POST
def cancel_own_redemption(request, pk: int):
    """Cancel one of my requests before it is handed over; the points come back."""
    member = member_of(request.user)
    if member is None:
        raise PermissionDenied(_("Only registered party members can redeem points."))
    redemption = get_own_redemption(member=member, pk=pk)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        cancel_redemption(redemption=redemption, by=request.user, reason=reason)
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Request cancelled; the points are back in your balance."))
    return redirect("evaluation:my_points")

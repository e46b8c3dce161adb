"""Staff pages of the rewards shop: the catalogue and the queue of requests to hand over."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from evaluation.forms import ReasonForm, RewardForm
from evaluation.models import RedemptionStatus
from evaluation.selectors import get_redemption, get_reward, redemptions_for, rewards_for
from evaluation.services.rewards import (
    cancel_redemption,
    confirm_redemption,
    create_reward,
    update_reward,
)
from portal.access import Action, can
from portal.errors import DomainError, PermissionDenied

PAGE_SIZE = 25


def _require_manager(user) -> None:
    if not can(user, Action.REWARD_MANAGE):
        raise PermissionDenied(_("You cannot manage the rewards shop."))


@login_required
@require_GET
def reward_list(request):
    """The catalogues of the communities in reach, with stock and the number of open requests."""
    _require_manager(request.user)
    page = Paginator(rewards_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    waiting = redemptions_for(request.user).filter(status=RedemptionStatus.REQUESTED).count()
    return render(request, "evaluation/reward_list.html", {"page_obj": page, "waiting": waiting})


def _form_error(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@login_required
@require_http_methods(["GET", "POST"])
def reward_create(request):
    """Add a reward to a community's catalogue."""
    _require_manager(request.user)
    form = RewardForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                reward = create_reward(
                    community=data["community"],
                    name=data["name"],
                    description=data["description"],
                    points_cost=data["points_cost"],
                    stock=data["stock"],
                    by=request.user,
                )
            except PermissionDenied:
                raise
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("%(name)s added to the shop.") % {"name": reward.name})
                return redirect("evaluation:reward_list")
        status = 400
    return render(
        request, "evaluation/reward_form.html", {"form": form, "reward": None}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def reward_edit(request, pk: int):
    """Change a reward: name, description, cost, stock, on offer or not."""
    reward = get_reward(user=request.user, pk=pk)
    initial = {
        "name": reward.name,
        "description": reward.description,
        "points_cost": reward.points_cost,
        "stock": reward.stock,
        "active": reward.active,
    }
    form = RewardForm(request.POST or None, initial=initial, user=request.user, reward=reward)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                update_reward(reward=reward, by=request.user, **form.cleaned_data)
            except PermissionDenied:
                raise
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("Reward saved."))
                return redirect("evaluation:reward_list")
        status = 400
    return render(
        request, "evaluation/reward_form.html", {"form": form, "reward": reward}, status=status
    )


@login_required
@require_GET
def redemption_queue(request):
    """Requests to hand over (oldest first), or every redemption with ?status=all."""
    _require_manager(request.user)
    show_all = request.GET.get("status") == "all"
    redemptions = redemptions_for(request.user)
    if not show_all:
        redemptions = redemptions.filter(status=RedemptionStatus.REQUESTED).order_by(
            "requested_at", "id"
        )
    page = Paginator(redemptions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "evaluation/redemption_queue.html",
        {"page_obj": page, "show_all": show_all},
    )


@login_required
@require_POST
def redemption_act(request, pk: int, action: str):
    """Confirm the hand-over of a requested reward, or cancel the request (points refunded)."""
    redemption = get_redemption(user=request.user, pk=pk)
    try:
        if action == "confirm":
            confirm_redemption(redemption=redemption, by=request.user)
            messages.success(request, _("Hand-over confirmed."))
        else:
            form = ReasonForm(request.POST)
            reason = form.cleaned_data["reason"] if form.is_valid() else ""
            cancel_redemption(redemption=redemption, by=request.user, reason=reason)
            messages.success(request, _("Request cancelled; the points were refunded."))
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("evaluation:redemption_queue")

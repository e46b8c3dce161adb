"""The volunteer-service shop (志愿服务超市): catalogue upkeep and redemptions.

A request takes the points and reserves one unit of stock in one transaction; a worker of the
reward's community confirms the hand-over, or the request is cancelled and both come back.
Locks are always taken reward first, then account, so requests and cancellations of the same
reward and member cannot deadlock.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluation.models import PointEvent, Redemption, RedemptionStatus, Reward
from evaluation.services.ledger import Subject, book_entry, locked_account, quantize
from evaluation.services.rules import parse_decimal
from portal import audit
from portal.access import Action, can
from portal.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from portal.models import Area, User
from reporting.models import PartyMember

MAX_COST = Decimal("100000")
MAX_STOCK = 100000
EDITABLE = ("name", "description", "points_cost", "stock", "active")


def _require_manager(by: User, community: Area) -> None:
    if not can(by, Action.REWARD_MANAGE, area=community):
        raise PermissionDenied(_("You cannot manage the rewards of this community."))


def _clean_reward_fields(fields: dict) -> dict:
    cleaned = dict(fields)
    if "name" in cleaned:
        cleaned["name"] = (cleaned["name"] or "").strip()
        if not cleaned["name"]:
            raise InvalidInput(_("Give the reward a name."), field="name")
    if "description" in cleaned:
        cleaned["description"] = (cleaned["description"] or "").strip()
    if "points_cost" in cleaned:
        cost = parse_decimal(cleaned["points_cost"], field="points_cost")
        if not Decimal("0") < cost <= MAX_COST:
            raise InvalidInput(
                _("The cost is more than 0 and at most %(max)s points.") % {"max": MAX_COST},
                field="points_cost",
            )
        cleaned["points_cost"] = cost
    if "stock" in cleaned:
        stock = cleaned["stock"]
        if not isinstance(stock, int) or not 0 <= stock <= MAX_STOCK:
            raise InvalidInput(
                _("Stock is a whole number from 0 to %(max)s.") % {"max": MAX_STOCK},
                field="stock",
            )
    return cleaned


def create_reward(
    *,
    community: Area,
    name: str,
    points_cost,
    stock: int,
    by: User,
    description: str = "",
) -> Reward:
    """Add a reward to a community's catalogue. Audited."""
    if community.level != Area.Level.COMMUNITY:
        raise InvalidInput(_("Rewards belong to a community."), field="community")
    _require_manager(by, community)
    fields = _clean_reward_fields(
        {"name": name, "description": description, "points_cost": points_cost, "stock": stock}
    )
    with transaction.atomic():
        reward = Reward.objects.create(community=community, created_by=by, **fields)
        audit.record(
            action="reward.created",
            actor=by,
            obj=reward,
            area=community,
            data={key: str(value) for key, value in fields.items()},
        )
    return reward


def update_reward(*, reward: Reward, by: User, **changes) -> Reward:
    """Change a reward's name, description, cost, stock (units on the shelf) or offer. Audited.

    A changed cost applies to new requests only; requests already made keep their points.
    """
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(unknown)})
    _require_manager(by, reward.community)
    changes = _clean_reward_fields(changes)
    with transaction.atomic():
        current = Reward.objects.select_for_update().get(pk=reward.pk)
        changed = {
            key: {"from": str(getattr(current, key)), "to": str(value)}
            for key, value in changes.items()
            if getattr(current, key) != value
        }
        if not changed:
            return current
        for key, value in changes.items():
            setattr(current, key, value)
        current.save()
        audit.record(
            action="reward.changed",
            actor=by,
            obj=current,
            area=current.community,
            data={"changed": changed},
        )
    return current


def request_redemption(
    *,
    reward: Reward,
    member: PartyMember,
    idempotency_key: str,
    by: User,
    now: datetime | None = None,
) -> Redemption:
    """A member redeems points for one unit of a reward of their home community's shop.

    Takes the points (entry ``redemption:<id>``) and reserves one unit, atomically. The same
    ``idempotency_key`` again returns the first redemption instead of making a second.
    """
    if member.user_id != by.pk:
        raise PermissionDenied(_("Members redeem their own points."))
    key = (idempotency_key or "").strip()
    if not key or len(key) > 64:
        raise InvalidInput(_("This form has expired; please try again."))
    replay = Redemption.objects.filter(idempotency_key=key).first()
    if replay is not None:
        return _replayed(replay, member)
    if reward.community_id != member.home_community_id:
        raise PermissionDenied(_("Members redeem rewards of their home community."))
    now = now or timezone.now()
    try:
        with transaction.atomic():
            reserved = Reward.objects.filter(pk=reward.pk, active=True, stock__gt=0).update(
                stock=F("stock") - 1
            )
            if not reserved:
                raise Conflict(_("Sorry, this reward is out of stock or no longer on offer."))
            cost = Reward.objects.values_list("points_cost", flat=True).get(pk=reward.pk)
            subject = Subject.of(member=member)
            account = locked_account(subject)
            if account.balance < cost:
                raise InvalidInput(
                    _("Not enough points: this reward costs %(cost)s and you have %(balance)s.")
                    % {"cost": quantize(cost), "balance": quantize(account.balance)}
                )
            redemption = Redemption.objects.create(
                reward=reward,
                member=member,
                points=cost,
                requested_at=now,
                idempotency_key=key,
            )
            book_entry(
                subject=subject,
                community=reward.community_id,
                event=PointEvent.REDEMPTION,
                source_key=f"redemption:{redemption.pk}",
                occurred_on=timezone.localdate(now),
                points=-cost,
                note=reward.name,
                by=by,
                clamp=False,
            )
            audit.record(
                action="redemption.requested",
                actor=by,
                obj=redemption,
                area=reward.community,
                data={"reward": reward.pk, "points": str(cost)},
            )
    except IntegrityError:
        # The same form submitted twice at once: the other request made the redemption.
        replay = Redemption.objects.filter(idempotency_key=key).first()
        if replay is None:
            raise
        return _replayed(replay, member)
    return redemption


def _replayed(redemption: Redemption, member: PartyMember) -> Redemption:
    if redemption.member_id != member.pk:
        raise Conflict(_("This form has already been used; please try again."))
    return redemption


def _decide(redemption: Redemption, *, to: str, by: User, now: datetime) -> Redemption:
    """Move a requested redemption to ``to``, with its row locked; refuses any other move."""
    current = Redemption.objects.select_for_update().select_related("reward").get(pk=redemption.pk)
    if current.status != RedemptionStatus.REQUESTED:
        raise IllegalTransition(
            _("This redemption is already %(status)s.")
            % {"status": current.get_status_display().lower()}
        )
    current.status = to
    current.decided_by = by
    current.decided_at = now
    return current


def confirm_redemption(
    *, redemption: Redemption, by: User, now: datetime | None = None
) -> Redemption:
    """A community worker hands the reward over and confirms it. Audited."""
    _require_manager(by, redemption.reward.community)
    now = now or timezone.now()
    with transaction.atomic():
        current = _decide(redemption, to=RedemptionStatus.CONFIRMED, by=by, now=now)
        current.save(update_fields=["status", "decided_by", "decided_at"])
        audit.record(
            action="redemption.confirmed",
            actor=by,
            obj=current,
            area=current.reward.community,
            data={"reward": current.reward_id, "member": current.member_id},
        )
    return current


def cancel_redemption(
    *, redemption: Redemption, by: User, reason: str = "", now: datetime | None = None
) -> Redemption:
    """Cancel a request (by a worker of the shop, or the member): points back, stock back.

    The refund is the entry ``redemption:<id>:refund``. Audited.
    """
    is_member = redemption.member.user_id == by.pk
    if not is_member:
        _require_manager(by, redemption.reward.community)
    now = now or timezone.now()
    reason = (reason or "").strip()[:200]
    with transaction.atomic():
        # Reward first, then the account (see the module docstring).
        Reward.objects.filter(pk=redemption.reward_id).update(stock=F("stock") + 1)
        current = _decide(redemption, to=RedemptionStatus.CANCELLED, by=by, now=now)
        current.cancel_reason = reason
        current.save(update_fields=["status", "decided_by", "decided_at", "cancel_reason"])
        book_entry(
            subject=Subject(member_id=current.member_id),
            community=current.reward.community_id,
            event=PointEvent.REDEMPTION_REFUND,
            source_key=f"redemption:{current.pk}:refund",
            occurred_on=timezone.localdate(now),
            points=current.points,
            note=current.reward.name,
            by=by,
        )
        audit.record(
            action="redemption.cancelled",
            actor=by,
            obj=current,
            area=current.reward.community,
            data={"reward": current.reward_id, "points": str(current.points), "reason": reason},
        )
    return current

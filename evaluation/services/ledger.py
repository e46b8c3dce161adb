"""Booking points: every entry moves its subject's balance in the same transaction.

The account row is locked (``select_for_update``) while the day's earnings are read and the
entry is written, so concurrent bookings for one subject queue up instead of racing; the
``source_key`` unique constraint makes a second booking of the same thing fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Sum

from evaluation.models import PointAccount, PointEntry
from evaluation.rules import day_share
from portal.models import Area, User
from reporting.models import PartyMember, ResidentUnit

QUANTUM = Decimal("0.01")


def quantize(value: Decimal) -> Decimal:
    """Points to two places, half up (SQLite sums decimals as floats; this evens that out)."""
    return Decimal(value).quantize(QUANTUM, ROUND_HALF_UP)


@dataclass(frozen=True)
class Subject:
    """Who an entry belongs to: a member or a unit, by id."""

    member_id: int | None = None
    unit_id: int | None = None

    def __post_init__(self):
        if (self.member_id is None) == (self.unit_id is None):
            raise ValueError("A subject is a member or a unit, not both or neither.")

    @classmethod
    def of(cls, *, member: PartyMember | None = None, unit: ResidentUnit | None = None):
        return cls(
            member_id=member.pk if member is not None else None,
            unit_id=unit.pk if unit is not None else None,
        )

    @property
    def lookup(self) -> dict[str, int]:
        if self.member_id is not None:
            return {"member_id": self.member_id}
        return {"unit_id": self.unit_id}


def locked_account(subject: Subject) -> PointAccount:
    """The subject's account, created on first use, locked until the transaction ends."""
    account, _created = PointAccount.objects.select_for_update().get_or_create(**subject.lookup)
    return account


def _earned_that_day(subject: Subject, event: str, day: date) -> Decimal:
    earned = PointEntry.objects.filter(**subject.lookup, event=event, occurred_on=day).aggregate(
        total=Sum("rule_points")
    )["total"]
    return quantize(earned or Decimal("0"))


def book_entry(
    *,
    subject: Subject,
    community: Area | int,
    event: str,
    source_key: str,
    occurred_on: date,
    points: Decimal | None = None,
    rule_points: Decimal | None = None,
    daily_cap: Decimal | None = None,
    note: str = "",
    by: User | None = None,
    clamp: bool = True,
) -> PointEntry:
    """Append one entry and move the balance by its points, atomically.

    Give ``rule_points`` for an award by a rule: the day's cap for this subject and event
    decides how much of it is booked (see ``evaluation.rules.day_share``). Give ``points``
    for a booking of an exact amount (redemptions, refunds, adjustments). A negative amount
    larger than the balance is clamped to the balance when ``clamp`` is true; otherwise the
    database refuses it. Raises ``IntegrityError`` when ``source_key`` was booked already.
    """
    if (points is None) == (rule_points is None):
        raise ValueError("Give either points or rule_points.")
    details: dict[str, str] = {}
    community_id = community if isinstance(community, int) else community.pk
    with transaction.atomic():
        account = locked_account(subject)
        if rule_points is not None:
            rule_points = quantize(rule_points)
            earned_before = _earned_that_day(subject, event, occurred_on)
            amount = quantize(
                day_share(earned_before=earned_before, earned=rule_points, cap=daily_cap)
            )
            if daily_cap is not None and amount != rule_points:
                details["cap"] = str(quantize(daily_cap))
        else:
            amount = quantize(points)
        if clamp and amount < 0 and account.balance + amount < 0:
            details["clamped_from"] = str(amount)
            amount = -account.balance
        entry = PointEntry.objects.create(
            **subject.lookup,
            community_id=community_id,
            event=event,
            points=amount,
            rule_points=rule_points,
            source_key=source_key,
            occurred_on=occurred_on,
            note=note[:200],
            details=details,
            created_by=by,
        )
        if amount:
            PointAccount.objects.filter(pk=account.pk).update(balance=F("balance") + amount)
    return entry


def is_booked(source_key: str) -> bool:
    """Has ``source_key`` been booked already?"""
    return PointEntry.objects.filter(source_key=source_key).exists()


def book_once(**kwargs) -> PointEntry | None:
    """``book_entry``, or None when another run booked the same source key first."""
    try:
        return book_entry(**kwargs)
    except IntegrityError:
        if is_booked(kwargs["source_key"]):
            return None
        raise

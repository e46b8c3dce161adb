"""Reads of the points ledger, rules and the rewards shop: scoped for staff, owned for members."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from evaluation.models import (
    RULE_EVENTS,
    PointAccount,
    PointEntry,
    PointRule,
    Redemption,
    RedemptionStatus,
    Reward,
)
from evaluation.rules import EffectiveRule, RuleBook, RuleRow, ancestor_paths
from portal.access import Action, scope
from portal.models import Area, User
from reporting.models import PartyMember, ResidentUnit


def rule_book(*, paths: list[str] | None = None) -> RuleBook:
    """Every active rule (or those of the areas at ``paths``), ready to answer without queries."""
    rules = PointRule.objects.filter(active=True)
    if paths is not None:
        rules = rules.filter(area__path__in=paths)
    rows = rules.values_list(
        "area__path", "area__level", "year", "event", "points", "daily_cap", named=True
    )
    return RuleBook(
        RuleRow(
            area_path=row.area__path,
            area_level=row.area__level,
            year=row.year,
            event=row.event,
            points=row.points,
            daily_cap=row.daily_cap,
        )
        for row in rows
    )


def effective_rule(event: str, *, area: Area, year: int | None) -> EffectiveRule:
    """The rule that awards ``event`` in ``area`` in ``year`` (one query)."""
    return rule_book(paths=area.ancestor_paths()).rule_for(event, area_path=area.path, year=year)


def effective_rules(*, area: Area, year: int | None) -> list[EffectiveRule]:
    """The rule of every awarding event in ``area`` for ``year`` (one query)."""
    book = rule_book(paths=ancestor_paths(area.path))
    return [book.rule_for(event, area_path=area.path, year=year) for event in RULE_EVENTS]


def rules_for(user: User) -> QuerySet[PointRule]:
    """Rules of the areas where ``user`` may change settings, by area then event."""
    return scope(
        PointRule.objects.select_related("area", "updated_by").order_by(
            "area__path", "event", "year"
        ),
        user,
        Action.SETTING_CHANGE,
    )


def ledger_for(user: User) -> QuerySet[PointEntry]:
    """Entries booked in the communities where ``user`` may view points, newest first."""
    return scope(
        PointEntry.objects.select_related("member__user", "unit", "community").order_by(
            "-occurred_on", "-id"
        ),
        user,
        Action.POINTS_VIEW,
    )


def _subject_filter(*, member: PartyMember | None, unit: ResidentUnit | None) -> dict:
    if (member is None) == (unit is None):
        raise ValueError("Give exactly one of member and unit.")
    return {"member": member} if member is not None else {"unit": unit}


def balance_of(*, member: PartyMember | None = None, unit: ResidentUnit | None = None) -> Decimal:
    """The subject's points balance; zero before its first entry."""
    balance = (
        PointAccount.objects.filter(**_subject_filter(member=member, unit=unit))
        .values_list("balance", flat=True)
        .first()
    )
    return balance if balance is not None else Decimal("0.00")


def history_of(
    *, member: PartyMember | None = None, unit: ResidentUnit | None = None
) -> QuerySet[PointEntry]:
    """The subject's entries, newest first."""
    return (
        PointEntry.objects.filter(**_subject_filter(member=member, unit=unit))
        .select_related("community")
        .order_by("-occurred_on", "-id")
    )


def catalogue(*, community: Area) -> QuerySet[Reward]:
    """Rewards on offer in a community's shop, cheapest first."""
    return Reward.objects.filter(community=community, active=True).order_by(
        "points_cost", "name", "id"
    )


def get_shop_reward(*, member: PartyMember, pk: int) -> Reward:
    """A reward of the member's home community's shop (on offer or not); 404 otherwise."""
    return get_object_or_404(Reward, pk=pk, community_id=member.home_community_id)


def rewards_for(user: User) -> QuerySet[Reward]:
    """Rewards of the communities whose shop ``user`` manages, on offer first."""
    return scope(
        Reward.objects.select_related("community").order_by(
            "-active", "community__path", "points_cost", "name", "id"
        ),
        user,
        Action.REWARD_MANAGE,
    )


def get_reward(*, user: User, pk: int) -> Reward:
    """One reward ``user`` manages; 404 otherwise."""
    return get_object_or_404(rewards_for(user), pk=pk)


def redemptions_for(user: User) -> QuerySet[Redemption]:
    """Redemptions in the shops ``user`` manages, newest first."""
    return scope(
        Redemption.objects.select_related(
            "reward", "reward__community", "member__user", "decided_by"
        ).order_by("-requested_at", "-id"),
        user,
        Action.REWARD_MANAGE,
    )


def redemption_queue(user: User) -> QuerySet[Redemption]:
    """Requests waiting for a worker to hand the reward over, oldest first."""
    return (
        redemptions_for(user)
        .filter(status=RedemptionStatus.REQUESTED)
        .order_by("requested_at", "id")
    )


def get_redemption(*, user: User, pk: int) -> Redemption:
    """One redemption in a shop ``user`` manages; 404 otherwise."""
    return get_object_or_404(redemptions_for(user), pk=pk)


def redemptions_of(member: PartyMember) -> QuerySet[Redemption]:
    """A member's own redemptions, newest first."""
    return (
        Redemption.objects.filter(member=member)
        .select_related("reward")
        .order_by("-requested_at", "-id")
    )


def get_own_redemption(*, member: PartyMember, pk: int) -> Redemption:
    """One of the member's own redemptions; 404 for anyone else's."""
    return get_object_or_404(redemptions_of(member), pk=pk)


def units_with_balances(user: User) -> list[tuple[ResidentUnit, Decimal]]:
    """The units ``user`` is the contact of, each with its balance (one query)."""
    units = (
        ResidentUnit.objects.filter(contact=user)
        .select_related("community", "point_account")
        .order_by("name")
    )
    result = []
    for unit in units:
        account = getattr(unit, "point_account", None)
        result.append((unit, account.balance if account else Decimal("0.00")))
    return result


def get_own_unit(*, user: User, pk: int) -> ResidentUnit:
    """A unit ``user`` is the contact of; 404 otherwise."""
    return get_object_or_404(ResidentUnit.objects.select_related("community"), pk=pk, contact=user)

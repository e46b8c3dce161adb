"""The response clock's jobs: warn before it runs out, escalate when it has (吹哨报到).

A need not accepted by its ``due_at`` goes up to the street office, which gets its own clock
(``need.street_response_hours``); if the street does not accept it in time either, it goes up
to the district (``need.district_response_hours``), where it stays. ``Need.due_at`` remains the
community's clock, which the KPIs measure.

Both jobs are safe to run again: an escalation is one row per need and level (a unique
constraint), taken while the need is locked and re-checked; notifications are keyed per event
and recipient. Celery tasks wrap these functions; nothing here is Celery-specific.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import CharField, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone

from portal import audit
from portal.models import Area, Notification, Role, RoleAssignment, User
from portal.notify import notify
from portal.services import SETTING_SPECS, get_setting
from resources.models import EscalationLevel, Need, NeedEscalation

logger = logging.getLogger(__name__)

S = Need.Status

# The clock each level gets once a need reaches it.
LEVEL_HOURS_SETTING = {
    EscalationLevel.STREET: "need.street_response_hours",
    EscalationLevel.DISTRICT: "need.district_response_hours",
}
# Who is told that a need reached their level.
LEVEL_ROLES = {
    EscalationLevel.STREET: (Role.STREET_OFFICER,),
    EscalationLevel.DISTRICT: (Role.DISTRICT_OFFICIAL,),
}
# The community's own staff, told when one of their needs goes up.
COMMUNITY_ROLES = (Role.COMMUNITY_WORKER, Role.COMMUNITY_SECRETARY)
WARNED_ROLES = (Role.COMMUNITY_WORKER,)


class _SettingCache:
    """Settings per (community, key) for one run, so thousands of needs cost a few queries."""

    def __init__(self, year: int) -> None:
        self.year = year
        self._values: dict[tuple[int, str], int] = {}

    def hours(self, key: str, community: Area) -> int:
        cache_key = (community.pk, key)
        if cache_key not in self._values:
            self._values[cache_key] = int(get_setting(key, area=community, year=self.year))
        return self._values[cache_key]


# Users holding each role in each area: {(area id, role): [users]}.
Holders = dict[tuple[int, str], list[User]]


def _holders(area_ids: Iterable[int], roles: Iterable[str]) -> Holders:
    """Active users holding ``roles`` exactly in ``area_ids``, by (area id, role): one query."""
    found: dict[tuple[int, str], list[User]] = defaultdict(list)
    assignments = RoleAssignment.objects.filter(
        area_id__in=set(area_ids), role__in=set(roles), user__is_active=True
    ).select_related("user")
    for assignment in assignments:
        found[(assignment.area_id, assignment.role)].append(assignment.user)
    return found


def _users(holders: Holders, area: Area, roles: Iterable[str]) -> list[User]:
    return [user for role in roles for user in holders.get((area.pk, role), [])]


def _reached_area(community: Area, level: int) -> Area | None:
    """The street (level 1) or district (level 2) above ``community``, from select_related."""
    street = community.parent
    area = street if level == EscalationLevel.STREET else (street.parent if street else None)
    expected = Area.Level.STREET if level == EscalationLevel.STREET else Area.Level.DISTRICT
    return area if area is not None and area.level == expected else None


def overdue_candidates(*, now: datetime) -> list[Need]:
    """Needs not yet accepted whose current clock ran out before ``now`` (one query).

    Level 0 runs on ``Need.due_at``; a higher level on its own escalation's ``due_at``.
    """
    level_due = NeedEscalation.objects.filter(
        need=OuterRef("pk"), level=OuterRef("escalation_level")
    ).values("due_at")[:1]
    return list(
        Need.objects.filter(status=S.SUBMITTED, escalation_level__lt=EscalationLevel.DISTRICT)
        .annotate(level_due_at=Subquery(level_due))
        .filter(
            Q(escalation_level=0, due_at__lt=now) | Q(escalation_level__gte=1, level_due_at__lt=now)
        )
        .select_related("community__parent__parent")
        .order_by("due_at", "pk")
    )


def _escalate_one(
    *, candidate: Need, now: datetime, settings_cache: _SettingCache, holders: Holders
) -> tuple[int, int] | None:
    """Escalate one need a level up; (new level, people notified) or None if nothing to do."""
    level = candidate.escalation_level + 1
    community = candidate.community
    reached = _reached_area(community, level)
    if reached is None:
        logger.warning(
            "need %s: its community has no %s above it",
            candidate.pk,
            "street" if level == EscalationLevel.STREET else "district",
        )
        return None
    try:
        return _escalate_locked(
            candidate=candidate,
            level=level,
            reached=reached,
            now=now,
            settings_cache=settings_cache,
            holders=holders,
        )
    except IntegrityError:
        # The level was reached already by a run the lock could not keep out (a backend
        # without row locks): the unique constraint refused the second escalation.
        return None


def _escalate_locked(
    *,
    candidate: Need,
    level: int,
    reached: Area,
    now: datetime,
    settings_cache: _SettingCache,
    holders: Holders,
) -> tuple[int, int] | None:
    """Lock the need, re-check it, record the escalation, audit it and notify, atomically."""
    community = candidate.community
    with transaction.atomic():
        locked = Need.objects.select_for_update().filter(pk=candidate.pk).first()
        # Re-check under the lock: another run, or an acceptance, may have got here first.
        if (
            locked is None
            or locked.status != S.SUBMITTED
            or locked.escalation_level != candidate.escalation_level
            or (level == EscalationLevel.STREET and locked.due_at >= now)
        ):
            return None
        due_at = now + timedelta(hours=settings_cache.hours(LEVEL_HOURS_SETTING[level], community))
        escalation = NeedEscalation.objects.create(
            need=locked, level=level, area=reached, escalated_at=now, due_at=due_at
        )
        locked.escalation_level = level
        locked.save(update_fields=["escalation_level", "updated_at"])
        audit.record(
            action="need.escalated",
            obj=locked,
            area=locked.area,
            data={
                "level": level,
                "to_area": reached.pk,
                "to_area_name": reached.name,
                "due_at": escalation.due_at.isoformat(),
            },
        )
        params: dict[str, Any] = {
            "number": locked.tracking_number,
            "title": locked.title,
            "community": community.name,
            "area": reached.name,
            "level": level,
            "due_at": escalation.due_at.isoformat(),
        }
        url = reverse("resources:need_detail", args=[locked.pk])
        key = f"escalation:{locked.pk}:{level}"
        notified = notify(
            recipients=_users(holders, reached, LEVEL_ROLES[level]),
            kind="need.escalated",
            params=params,
            url=url,
            dedupe_key=key,
        )
        notified += notify(
            recipients=_users(holders, community, COMMUNITY_ROLES),
            kind="need.went_up",
            params=params,
            url=url,
            dedupe_key=key,
        )
    return level, notified


def escalate_overdue_needs(*, now: datetime | None = None) -> dict[str, int]:
    """Escalate every need whose response clock ran out: community → street → district.

    One transaction per need, so a problem with one need never holds back the others. The
    officers of the level reached and the community's workers and secretary are notified.
    Returns {"street": needs escalated to a street, "district": ..., "notified": people}.
    """
    now = now or timezone.now()
    counts = {"street": 0, "district": 0, "notified": 0}
    candidates = overdue_candidates(now=now)
    if not candidates:
        return counts
    areas: set[int] = set()
    for need in candidates:
        street = need.community.parent
        areas.update(a.pk for a in (need.community, street, street and street.parent) if a)
    holders = _holders(
        areas, [role for roles in LEVEL_ROLES.values() for role in roles] + list(COMMUNITY_ROLES)
    )
    settings_cache = _SettingCache(timezone.localtime(now).year)
    for candidate in candidates:
        outcome = _escalate_one(
            candidate=candidate, now=now, settings_cache=settings_cache, holders=holders
        )
        if outcome is None:
            continue
        level, notified = outcome
        counts["street" if level == EscalationLevel.STREET else "district"] += 1
        counts["notified"] += notified
    return counts


def warn_needs_due_soon(*, now: datetime | None = None) -> dict[str, int]:
    """Warn the community's workers of needs whose clock runs out within ``need.warning_hours``.

    Once per need (``due_soon:<need id>``): needs already warned are skipped in the query.
    Returns {"needs": needs warned, "notified": people}.
    """
    now = now or timezone.now()
    widest = timedelta(hours=SETTING_SPECS["need.warning_hours"].maximum)
    warned = Notification.objects.filter(
        dedupe_key=Concat(Value("due_soon:"), Cast(OuterRef("pk"), output_field=CharField()))
    )
    candidates = list(
        Need.objects.filter(
            status=S.SUBMITTED, escalation_level=0, due_at__gte=now, due_at__lt=now + widest
        )
        .exclude(Exists(warned))
        .select_related("community")
        .order_by("due_at", "pk")
    )
    counts = {"needs": 0, "notified": 0}
    if not candidates:
        return counts
    holders = _holders({need.community_id for need in candidates}, WARNED_ROLES)
    settings_cache = _SettingCache(timezone.localtime(now).year)
    for need in candidates:
        hours = settings_cache.hours("need.warning_hours", need.community)
        if need.due_at >= now + timedelta(hours=hours):
            continue
        notified = notify(
            recipients=_users(holders, need.community, WARNED_ROLES),
            kind="need.due_soon",
            params={
                "number": need.tracking_number,
                "title": need.title,
                "community": need.community.name,
                "due_at": need.due_at.isoformat(),
            },
            url=reverse("resources:need_detail", args=[need.pk]),
            dedupe_key=f"due_soon:{need.pk}",
        )
        if notified:
            counts["needs"] += 1
            counts["notified"] += notified
    return counts


def run_response_clock(*, now: datetime | None = None) -> dict[str, int]:
    """One tick of the response clock: escalate what ran out, warn about what is about to.

    The counts of both, as the 15-minute job records them.
    """
    counts = dict(escalate_overdue_needs(now=now))
    counts.update({f"warned_{key}": value for key, value in warn_needs_due_soon(now=now).items()})
    return counts

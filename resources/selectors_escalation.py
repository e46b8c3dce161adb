"""Reads about escalated needs: the dashboard panel and a need's escalation history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from portal.access import Action, reach, scope
from portal.models import Area, User
from resources.models import EscalationLevel, Need, NeedEscalation


@dataclass
class EscalatedPanel:
    needs: list[Need]
    count: int
    # The lowest escalation level shown to this user (1 street, 2 district).
    min_level: int
    # True for street, district and city staff (the needs came to them); False for community
    # staff, who see their own needs that went up.
    to_user: bool


def panel_levels(user: User) -> tuple[int, bool] | None:
    """(lowest escalation level shown, whether the needs came to the user), or None.

    Decided by the widest area in which the user may view needs: district and city staff see
    needs that reached the district; street staff every escalated need of their street;
    community and grid staff their own needs that went up.
    """
    paths = reach(user, Action.NEED_VIEW)
    if not paths:
        return None
    # A path has one code per level of the tree: "city/district/street/" is a street.
    widest = min(path.count("/") for path in paths)
    if widest <= Area.Level.DISTRICT:
        return EscalationLevel.DISTRICT, True
    return EscalationLevel.STREET, widest <= Area.Level.STREET


def _current_escalation(field: str) -> Subquery:
    return Subquery(
        NeedEscalation.objects.filter(
            need=OuterRef("pk"), level=OuterRef("escalation_level")
        ).values(field)[:1]
    )


def escalated_needs(*, user: User, min_level: int = EscalationLevel.STREET) -> QuerySet[Need]:
    """Needs in the user's reach, still not accepted, escalated at least to ``min_level``.

    Each carries ``escalated_at``, ``level_due_at`` and ``escalated_to`` (area name) of the
    level it is at now; the most urgent clock first.
    """
    return (
        scope(Need.objects.all(), user, Action.NEED_VIEW)
        .filter(status=Need.Status.SUBMITTED, escalation_level__gte=min_level)
        .select_related("category", "community")
        .annotate(
            escalated_at=_current_escalation("escalated_at"),
            level_due_at=_current_escalation("due_at"),
            escalated_to=_current_escalation("area__name"),
        )
        .order_by("level_due_at", "pk")
    )


def escalated_panel(*, user: User, limit: int = 10) -> EscalatedPanel | None:
    """The "Escalated to you" panel of the dashboard (two queries); None without need reach."""
    levels = panel_levels(user)
    if levels is None:
        return None
    min_level, to_user = levels
    needs = escalated_needs(user=user, min_level=min_level)
    listed = list(needs[:limit])
    count = len(listed) if len(listed) < limit else needs.count()
    return EscalatedPanel(needs=listed, count=count, min_level=min_level, to_user=to_user)


def escalation_history(*, need: Need, now: datetime | None = None) -> list[NeedEscalation]:
    """The need's escalations, lowest level first, with the area reached (one query).

    Each carries ``clock_run_out``: True on the current level when the need is still not
    accepted and that level's clock has passed.
    """
    now = now or timezone.now()
    escalations = list(
        NeedEscalation.objects.filter(need=need).select_related("area").order_by("level")
    )
    for escalation in escalations:
        escalation.clock_run_out = (
            need.status == Need.Status.SUBMITTED
            and escalation.level == need.escalation_level
            and escalation.due_at < now
        )
    return escalations

"""Platform reads: the area tree and the people holding roles in it."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from portal.access import reach
from portal.models import Area, RoleAssignment, User


def area_and_below(area: Area) -> QuerySet[Area]:
    """This area and every area under it: one prefix query on the indexed path."""
    return Area.objects.filter(path__startswith=area.path)


def communities_by_street() -> list[tuple[Area, list[Area]]]:
    """Every community grouped under its street, for pickers (two queries)."""
    streets = {
        a.pk: a for a in Area.objects.filter(level=Area.Level.STREET).select_related("parent")
    }
    grouped: dict[int, list[Area]] = {pk: [] for pk in streets}
    for community in Area.objects.filter(level=Area.Level.COMMUNITY).order_by("path"):
        grouped.setdefault(community.parent_id, []).append(community)
    return [
        (streets[pk], grouped[pk])
        for pk in sorted(streets, key=lambda pk: streets[pk].path)
        if grouped[pk]
    ]


def role_holders(*, user: User, action: str) -> QuerySet[User]:
    """Active users holding any role in the areas where ``user`` may ``action`` (one query).

    For owner and organiser pickers; the services check the exact rule for the chosen area.
    """
    paths = reach(user, action)
    if not paths:
        return User.objects.none()
    in_reach = Q()
    for path in paths:
        in_reach |= Q(area__path__startswith=path)
    holders = RoleAssignment.objects.filter(in_reach).values("user_id")
    return User.objects.filter(is_active=True, pk__in=holders).order_by("real_name", "username")

"""Platform reads: the area tree."""

from __future__ import annotations

from django.db.models import QuerySet

from portal.models import Area


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

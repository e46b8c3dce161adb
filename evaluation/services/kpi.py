"""KPI roll-ups: each day's parts per community from the raw records, summed up the tree.

``rollup_kpis`` is idempotent: it replaces the rows of the day it computes, so running it twice
(or again after late records arrive) leaves one correct set of rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluation.kpi.definitions import KPI_BY_CODE, SETTLE_DAYS, SETTLING_KPIS, Parts, value_of
from evaluation.kpi.extract import CommunityParts, extract_day
from evaluation.models import KpiDaily
from portal import audit
from portal.errors import InvalidInput
from portal.models import Area

# A rebuild covers at most this many days in one call (about three years).
MAX_REBUILD_DAYS = 1100


def _top_paths(areas: Iterable[Area]) -> list[str]:
    """The paths of ``areas`` with nested ones dropped (a district covers its streets)."""
    kept: list[str] = []
    for path in sorted(area.path for area in areas):
        if not any(path.startswith(other) for other in kept):
            kept.append(path)
    return kept


def _rows(
    day: date, parts_by_area: dict[int, dict[str, Parts]], computed_at: datetime
) -> list[KpiDaily]:
    return [
        KpiDaily(
            area_id=area_id,
            day=day,
            kpi=code,
            numerator=parts.numerator,
            denominator=parts.denominator,
            histogram=parts.histogram,
            value=value_of(KPI_BY_CODE[code], parts),
            computed_at=computed_at,
        )
        for area_id, by_code in parts_by_area.items()
        for code, parts in by_code.items()
    ]


def sum_up_the_tree(
    community_parts: CommunityParts, community_paths: dict[int, str], upper: dict[str, int]
) -> dict[int, dict[str, Parts]]:
    """Each upper area's parts as the sum of its communities' ({path: id} of upper areas)."""
    totals: dict[int, dict[str, Parts]] = defaultdict(dict)
    for community_id, by_code in community_parts.items():
        path = community_paths.get(community_id)
        if path is None:
            continue
        codes = path.rstrip("/").split("/")
        for depth in range(1, len(codes)):
            upper_id = upper.get("/".join(codes[:depth]) + "/")
            if upper_id is None:
                continue
            for code, parts in by_code.items():
                totals[upper_id].setdefault(code, Parts()).add(parts)
    return totals


def rollup_kpis(
    *,
    day: date,
    areas: Iterable[Area] | None = None,
    kpis: Iterable[str] | None = None,
    now: datetime | None = None,
    audited: bool = True,
) -> dict[str, int]:
    """Recompute ``day``'s KPI rows for the communities under ``areas`` (default: all) and
    every area above a community; returns counts of rows written.

    ``kpis`` limits the recomputation to some KPI codes (the nightly job refreshes the
    settling ones for past days). Upper areas are always summed again from all their
    communities' rows, so they stay equal to the sum whatever subset was recomputed.
    ``audited=False`` leaves the audit event to a caller that rolls up many days.
    """
    now = now or timezone.now()
    if day >= timezone.localdate(now):
        raise InvalidInput(
            _("Only days that have ended are rolled up; today is computed live."), field="day"
        )
    codes = set(kpis) if kpis is not None else set(KPI_BY_CODE)
    unknown = codes - set(KPI_BY_CODE)
    if unknown:
        raise InvalidInput(
            _("Unknown KPI: %(codes)s") % {"codes": ", ".join(sorted(unknown))}, field="kpis"
        )
    paths = _top_paths(areas) if areas is not None else [None]

    fresh: CommunityParts = {}
    for path in paths:
        fresh.update(extract_day(day, under=path, now=now, only=codes))

    communities = Area.objects.filter(level=Area.Level.COMMUNITY)
    upper_areas = dict(
        Area.objects.filter(level__lt=Area.Level.COMMUNITY).values_list("path", "pk")
    )
    with transaction.atomic():
        in_scope = KpiDaily.objects.filter(day=day, kpi__in=codes, area__level=Area.Level.COMMUNITY)
        if paths != [None]:
            scoped = KpiDaily.objects.none()
            for path in paths:
                scoped |= in_scope.filter(area__path__startswith=path)
            in_scope = scoped
        in_scope.delete()
        KpiDaily.objects.bulk_create(_rows(day, fresh, now), batch_size=1000)

        stored: CommunityParts = defaultdict(dict)
        for area_id, code, numerator, denominator, histogram in KpiDaily.objects.filter(
            day=day, kpi__in=codes, area__level=Area.Level.COMMUNITY
        ).values_list("area_id", "kpi", "numerator", "denominator", "histogram"):
            stored[area_id][code] = Parts(numerator, denominator, dict(histogram or {}))
        community_paths = dict(communities.values_list("pk", "path"))
        totals = sum_up_the_tree(stored, community_paths, upper_areas)
        KpiDaily.objects.filter(
            day=day, kpi__in=codes, area__level__lt=Area.Level.COMMUNITY
        ).delete()
        KpiDaily.objects.bulk_create(_rows(day, totals, now), batch_size=1000)

        counts = {
            "community_rows": sum(len(by_code) for by_code in fresh.values()),
            "upper_rows": sum(len(by_code) for by_code in totals.values()),
        }
        if audited:
            audit.record(
                action="kpi.rolled_up",
                data={"day": day.isoformat(), "kpis": sorted(codes), **counts},
            )
    return counts


def rebuild_kpis(*, start: date, end: date, areas: Iterable[Area] | None = None) -> dict[str, int]:
    """Roll up every day from ``start`` to ``end`` (inclusive); returns total counts."""
    if end < start:
        raise InvalidInput(_("The end date comes before the start date."), field="end")
    if (end - start).days + 1 > MAX_REBUILD_DAYS:
        raise InvalidInput(
            _("Rebuild at most %(days)s days at a time.") % {"days": MAX_REBUILD_DAYS}, field="end"
        )
    areas = list(areas) if areas is not None else None
    totals = {"days": 0, "community_rows": 0, "upper_rows": 0}
    day = start
    while day <= end:
        counts = rollup_kpis(day=day, areas=areas, audited=False)
        totals["days"] += 1
        totals["community_rows"] += counts["community_rows"]
        totals["upper_rows"] += counts["upper_rows"]
        day += timedelta(days=1)
    audit.record(
        action="kpi.rebuilt",
        data={
            "from": start.isoformat(),
            "to": end.isoformat(),
            "areas": [area.code for area in areas or []],
            **totals,
        },
    )
    return totals


def nightly_rollup(*, today: date | None = None, settle_days: int = SETTLE_DAYS) -> dict[str, int]:
    """The nightly job: all KPIs of yesterday, and the settling KPIs of the days before it."""
    today = today or timezone.localdate()
    yesterday = today - timedelta(days=1)
    totals = dict(rollup_kpis(day=yesterday, audited=False))
    totals["settled_days"] = 0
    for back in range(1, settle_days + 1):
        rollup_kpis(day=yesterday - timedelta(days=back), kpis=SETTLING_KPIS, audited=False)
        totals["settled_days"] += 1
    audit.record(action="kpi.rolled_up", data={"day": yesterday.isoformat(), **totals})
    return totals

"""KPI reads for officials: which area, the figures of areas over a period, targets, trends.

Stored days come from the roll-up table (``KpiDaily``); today, when the period includes it, is
computed live from the raw records, so a dashboard never shows yesterday's state as today's.
Member participation and resource utilisation count distinct members and resources "in the
period", which no sum of days gives: they are read for the period from the raw records.
Every read runs a fixed number of queries whatever the number of areas.

The pages scope by ``Action.DASHBOARD_VIEW``; each read takes an ``action`` so that the partner
API (evaluation.api) scopes the same reads by an action the partner role holds instead.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import cached_property

from django.conf import settings
from django.db.models import Q, Sum

from evaluation.kpi.definitions import (
    KPI_BY_CODE,
    KPIS,
    PERIOD_DISTINCT_KPIS,
    KpiSpec,
    Parts,
    meets_target,
    period_parts,
    trend,
    value_of,
)
from evaluation.kpi.extract import CommunityParts, extract_day, extract_range
from evaluation.kpi.periods import Period
from evaluation.models import KpiDaily
from portal.access import Action, areas_for, can, reach, scope
from portal.errors import NotFound
from portal.models import Area, Setting

AreaParts = dict[int, dict[str, Parts]]


# --- which area ---------------------------------------------------------------------------


def kpi_home(*, user, action: str = Action.DASHBOARD_VIEW) -> Area | None:
    """The highest area in which ``user`` may see dashboards (None when there is none)."""
    paths = reach(user, action)
    if not paths:
        return None
    return Area.objects.filter(path__in=paths).order_by("level", "path").first()


def kpi_area(*, user, code: str, action: str = Action.DASHBOARD_VIEW) -> Area:
    """The area with ``code`` if ``user`` may see its dashboard; NotFound otherwise."""
    area = areas_for(user, action).filter(code=code).first()
    if area is None:
        raise NotFound()
    return area


def breadcrumbs(*, user, area: Area) -> list[Area]:
    """``area``'s ancestors the user may see, top first, then ``area`` itself."""
    return [a for a in area.ancestors() if can(user, Action.DASHBOARD_VIEW, area=a)]


def child_areas(*, user, area: Area, action: str = Action.DASHBOARD_VIEW) -> list[Area]:
    """The areas one level below ``area`` that carry KPIs (grids carry none)."""
    if area.level >= Area.Level.COMMUNITY:
        return []
    return list(areas_for(user, action).filter(parent=area).order_by("code"))


# --- today, live ----------------------------------------------------------------------------


class LiveToday:
    """Today's parts per community under one area, read from the raw records on first use
    (once per request), so pages about past periods do not pay for it."""

    def __init__(self, *, area: Area, day: date):
        self.area = area
        self.day = day

    @classmethod
    def compute(cls, *, area: Area, day: date) -> LiveToday:
        return cls(area=area, day=day)

    @cached_property
    def communities(self) -> CommunityParts:
        return extract_day(self.day, under=self.area.path)

    @cached_property
    def paths(self) -> dict[int, str]:
        return dict(
            Area.objects.filter(
                level=Area.Level.COMMUNITY, path__startswith=self.area.path
            ).values_list("pk", "path")
        )

    def for_areas(self, areas: list[Area]) -> AreaParts:
        """Today's parts of each of ``areas`` (each the sum of its communities)."""
        by_path = {area.path: area.pk for area in areas}
        totals: AreaParts = defaultdict(dict)
        for community_id, by_code in self.communities.items():
            path = self.paths.get(community_id, "")
            codes = path.rstrip("/").split("/")
            for depth in range(1, len(codes) + 1):
                area_id = by_path.get("/".join(codes[:depth]) + "/")
                if area_id is None:
                    continue
                for code, parts in by_code.items():
                    totals[area_id].setdefault(code, Parts()).add(parts)
        return totals


# --- figures over a period -----------------------------------------------------------------


def _stored(rows, *, start: date, end: date, last_day: date) -> tuple[AreaParts, AreaParts]:
    """(summed parts over [start, end], parts of last_day) per area from KpiDaily ``rows``."""
    summed: AreaParts = defaultdict(dict)
    last: AreaParts = defaultdict(dict)
    if end < start:
        return summed, last
    in_range = rows.filter(day__gte=start, day__lte=end)
    for row in (
        in_range.values("area_id", "kpi")
        .annotate(n=Sum("numerator"), d=Sum("denominator"))
        .order_by()
    ):
        summed[row["area_id"]][row["kpi"]] = Parts(row["n"], row["d"])
    for area_id, histogram in in_range.filter(kpi="need_response_time").values_list(
        "area_id", "histogram"
    ):
        parts = summed[area_id].setdefault("need_response_time", Parts())
        parts.add(Parts(histogram=dict(histogram or {})))
    if start <= last_day <= end:
        for area_id, code, n, d in rows.filter(day=last_day).values_list(
            "area_id", "kpi", "numerator", "denominator"
        ):
            last[area_id][code] = Parts(n, d)
    return summed, last


def period_figures(
    *,
    user,
    period: Period,
    today: date,
    live: LiveToday | None,
    areas: list[Area] | None = None,
    communities_under: Area | None = None,
    kpis: list[str] | None = None,
    action: str = Action.DASHBOARD_VIEW,
) -> AreaParts:
    """Each area's parts over ``period``: stored days, plus today live when it is included.

    The areas are either ``areas`` or every community under ``communities_under``; ``kpis``
    limits the read to some KPI codes (the others come back empty); ``action`` is the one the
    stored rows are scoped by.
    """
    if areas is not None:
        rows_filter = Q(area_id__in=[a.pk for a in areas])
    else:
        rows_filter = Q(
            area__level=Area.Level.COMMUNITY, area__path__startswith=communities_under.path
        )
    if kpis is not None:
        rows_filter &= Q(kpi__in=kpis)
    rows = scope(KpiDaily.objects.all(), user, action).filter(rows_filter)
    end = min(period.end, today)
    stored_end = min(end, today - timedelta(days=1))
    summed, last = _stored(rows, start=period.start, end=stored_end, last_day=end)
    if live is not None and live.day == today and period.includes(today):
        today_parts = live.for_areas(areas) if areas is not None else live.communities
        for area_id, by_code in today_parts.items():
            for code, parts in by_code.items():
                summed[area_id].setdefault(code, Parts()).add(parts)
                last[area_id][code] = parts
    distinct = [c for c in PERIOD_DISTINCT_KPIS if kpis is None or c in kpis]
    if distinct and end >= period.start:
        fresh = _distinct_in_period(
            period=period, end=end, codes=distinct, areas=areas, under=communities_under
        )
        for area_id, by_code in fresh.items():
            for code in distinct:
                last[area_id][code] = by_code.get(code, Parts())
    return {
        area_id: {
            spec.code: period_parts(
                spec,
                summed=summed[area_id].get(spec.code, Parts()),
                last=last[area_id].get(spec.code, Parts()),
            )
            for spec in KPIS
        }
        for area_id in set(summed) | set(last)
    }


def _common_path(paths: list[str]) -> str:
    """The deepest area path above (or equal to) all of ``paths``."""
    prefix = os.path.commonprefix(paths)
    return prefix[: prefix.rfind("/") + 1]


def _distinct_in_period(
    *, period: Period, end: date, codes: list[str], areas: list[Area] | None, under: Area | None
) -> AreaParts:
    """The parts of the KPIs counting distinct members or resources over [period.start, end],
    read from the raw records (a fixed number of queries) and summed to each area."""
    root = under.path if under is not None else _common_path([a.path for a in areas])
    communities = extract_range(
        period.start, end, under=root, only=codes, active_since=period.start
    )
    paths = _community_paths(root)
    if under is not None:
        return {cid: communities.get(cid, {}) for cid in paths}
    totals: AreaParts = {area.pk: {} for area in areas}
    for community_id, by_code in communities.items():
        path = paths.get(community_id, "")
        for area in areas:
            if path.startswith(area.path):
                for code, parts in by_code.items():
                    totals[area.pk].setdefault(code, Parts()).add(parts)
    return totals


def _community_paths(root: str) -> dict[int, str]:
    return dict(
        Area.objects.filter(level=Area.Level.COMMUNITY, path__startswith=root).values_list(
            "pk", "path"
        )
    )


# --- targets -------------------------------------------------------------------------------


def targets_for(*, areas: list[Area], year: int) -> dict[int, dict[str, Decimal | None]]:
    """Each area's KPI targets for ``year``, as ``portal.services.get_setting`` resolves them
    (nearest area up the tree, a year-specific value before an all-years one), in one query."""
    paths = {path for area in areas for path in area.ancestor_paths()}
    keys = [spec.target_key for spec in KPIS if spec.has_target]
    overrides = Setting.objects.filter(key__in=keys, area__path__in=paths).values_list(
        "key", "area__path", "area__level", "year", "value"
    )
    found = defaultdict(list)
    for key, path, level, setting_year, value in overrides:
        if setting_year is not None and setting_year != year:
            continue
        found[key].append((path, (level, setting_year is not None), value))
    result: dict[int, dict[str, Decimal | None]] = {}
    for area in areas:
        targets: dict[str, Decimal | None] = {}
        for spec in KPIS:
            if not spec.has_target:
                targets[spec.code] = None
                continue
            chosen = None
            for path, rank, value in found.get(spec.target_key, []):
                if area.path.startswith(path) and (chosen is None or rank > chosen[0]):
                    chosen = (rank, value)
            raw = chosen[1] if chosen else settings.BAODAO_DEFAULTS[spec.target_key]
            targets[spec.code] = _decimal(raw)
        result[area.pk] = targets
    return result


def _decimal(raw) -> Decimal | None:
    try:
        return Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None


# --- what the pages show -------------------------------------------------------------------


@dataclass
class Figure:
    """One KPI of one area over one period, ready to show."""

    spec: KpiSpec
    parts: Parts
    value: Decimal | None
    target: Decimal | None = None
    previous: Decimal | None = None
    meets: bool | None = None
    trend: str = ""

    @property
    def status(self) -> str:
        return {True: "good", False: "bad"}.get(self.meets, "")

    @property
    def code(self) -> str:
        return self.spec.code


@dataclass
class AreaRow:
    area: Area
    figures: list[Figure] = field(default_factory=list)

    def figure(self, code: str) -> Figure:
        return next(f for f in self.figures if f.code == code)


def figures_of(
    parts: dict[str, Parts],
    targets: dict[str, Decimal | None],
    previous: dict[str, Parts] | None = None,
) -> list[Figure]:
    """The figures of one area, in the order of ``KPIS``."""
    figures = []
    for spec in KPIS:
        own = parts.get(spec.code, Parts())
        value = value_of(spec, own)
        before = value_of(spec, previous.get(spec.code, Parts())) if previous is not None else None
        target = targets.get(spec.code)
        figures.append(
            Figure(
                spec=spec,
                parts=own,
                value=value,
                target=target,
                previous=before,
                meets=meets_target(spec, value, target),
                trend=trend(value, before),
            )
        )
    return figures


def area_rows(
    *,
    user,
    areas: list[Area],
    period: Period,
    today: date,
    live: LiveToday | None,
    action: str = Action.DASHBOARD_VIEW,
) -> list[AreaRow]:
    """One row of figures (with targets) per area, for tables and exports."""
    if not areas:
        return []
    parts = period_figures(
        user=user, areas=areas, period=period, today=today, live=live, action=action
    )
    targets = targets_for(areas=areas, year=period.end.year)
    return [
        AreaRow(area=area, figures=figures_of(parts.get(area.pk, {}), targets[area.pk]))
        for area in areas
    ]


def tiles(
    *,
    user,
    area: Area,
    period: Period,
    today: date,
    live: LiveToday | None,
    action: str = Action.DASHBOARD_VIEW,
) -> list[Figure]:
    """The KPI tiles of ``area``: value, target, trend against the previous period."""
    current = period_figures(
        user=user, areas=[area], period=period, today=today, live=live, action=action
    ).get(area.pk, {})
    previous_period = period.previous()
    previous = period_figures(
        user=user,
        areas=[area],
        period=previous_period,
        today=today,
        live=live if previous_period.includes(today) else None,
        action=action,
    ).get(area.pk, {})
    targets = targets_for(areas=[area], year=period.end.year)[area.pk]
    return figures_of(current, targets, previous)


def kpi_spec(code: str | None, default: str = "closed_loop_rate") -> KpiSpec:
    """The KPI named by ``code``, or the default one when the code is unknown."""
    return KPI_BY_CODE.get(code or "", KPI_BY_CODE[default])

"""What a KPI page or report of one area and period holds: the board of the /kpi/ pages, the
report behind the xlsx and PDF exports, and the tiles of the staff dashboard."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from evaluation.kpi.definitions import KPI_BY_CODE, KpiSpec
from evaluation.kpi.periods import Period, month_of
from evaluation.selectors_kpi import (
    AreaRow,
    Figure,
    LiveToday,
    area_rows,
    breadcrumbs,
    child_areas,
    kpi_home,
    kpi_spec,
    tiles,
)
from evaluation.selectors_kpi_charts import (
    HeatMap,
    Ranked,
    TrendMonth,
    monthly_trend,
    response_distribution,
    supply_demand,
    top_and_bottom,
)
from portal.access import Action, areas_for
from portal.models import Area


@dataclass
class Level:
    """The areas of one level under the report's area (or the area itself), with figures."""

    level: int
    label: str
    rows: list[AreaRow]


@dataclass
class KpiReport:
    area: Area
    trail: list[Area]
    period: Period
    generated_at: datetime
    figures: list[Figure]
    levels: list[Level]
    trend: list[TrendMonth]
    distribution: list[tuple[str, int]]

    @property
    def children(self) -> list[AreaRow]:
        """The level right below the area (empty for a community)."""
        return self.levels[1].rows if len(self.levels) > 1 else []


def kpi_report(
    *,
    user,
    area: Area,
    period: Period,
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> KpiReport:
    """The report of ``area`` over ``period``: its figures, then every level below it down to
    the communities (one table each), the monthly trend and the response-time distribution.

    ``progress`` is told a percentage (0–90) as the levels are gathered.
    """
    today = today or timezone.localdate()
    live = LiveToday.compute(area=area, day=today) if period.includes(today) else None
    figures = tiles(user=user, area=area, period=period, today=today, live=live)
    levels_below = [lvl for lvl in Area.Level if area.level <= lvl <= Area.Level.COMMUNITY]
    levels: list[Level] = []
    for index, level in enumerate(levels_below):
        if level == area.level:
            members = [area]
        else:
            members = list(
                areas_for(user, Action.DASHBOARD_VIEW, levels=[level])
                .filter(path__startswith=area.path)
                .order_by("path")
            )
        rows = area_rows(user=user, areas=members, period=period, today=today, live=live)
        levels.append(Level(level=level, label=str(Area.Level(level).label), rows=rows))
        if progress:
            progress(10 + 80 * (index + 1) // len(levels_below))
    by_code = {figure.code: figure for figure in figures}
    return KpiReport(
        area=area,
        trail=breadcrumbs(user=user, area=area),
        period=period,
        generated_at=timezone.now(),
        figures=figures,
        levels=levels,
        trend=monthly_trend(user=user, area=area, until=period.end, today=today, live=live),
        distribution=response_distribution(by_code["need_response_time"].parts),
    )


@dataclass
class KpiBoard:
    """What the KPI page of one area and period shows (each chart with its table)."""

    area: Area
    trail: list[Area]
    period: Period
    today: date
    figures: list[Figure]
    children: list[AreaRow]
    sort: str
    chart_spec: KpiSpec
    trend: list[TrendMonth]
    heat_map: HeatMap
    distribution: list[tuple[str, int]]
    top: list[Ranked]
    bottom: list[Ranked]

    def chart_data(self) -> dict:
        """The charts' payload for ``json_script`` (static/js/kpi_charts.js draws it)."""
        code = self.chart_spec.code
        target = next(f.target for f in self.figures if f.code == code)

        def number(value):
            return float(value) if value is not None else None

        return {
            "kpi": {"label": str(self.chart_spec.label), "unit": str(self.chart_spec.unit)},
            "target": number(target),
            "bar": {
                "labels": [row.area.name for row in self.children],
                "values": [number(row.figure(code).value) for row in self.children],
            },
            "trend": {
                "labels": [m.month.label for m in self.trend],
                "values": [number(m.values[code]) for m in self.trend],
            },
            "heat": {
                "columns": [area.name for area in self.heat_map.columns],
                "rows": [str(category) for category, _cells in self.heat_map.rows],
                "cells": [
                    [x, y, value]
                    for y, (_category, cells) in enumerate(self.heat_map.rows)
                    for x, value in enumerate(cells)
                ],
            },
            "distribution": {
                "labels": [label for label, _count in self.distribution],
                "values": [count for _label, count in self.distribution],
            },
            "ranking": {
                "labels": [r.area.name for r in self.top] + [r.area.name for r in self.bottom],
                "values": [number(r.value) for r in self.top + self.bottom],
                "top": len(self.top),
            },
        }


def _sorted(rows: list[AreaRow], sort: str) -> tuple[list[AreaRow], str]:
    """Rows sorted by area name or a KPI's value (missing values last); the sort applied."""
    key = sort.lstrip("-")
    descending = sort.startswith("-")
    if key not in KPI_BY_CODE:
        return sorted(rows, key=lambda r: r.area.code, reverse=descending), (
            "-name" if descending else "name"
        )
    present = [r for r in rows if r.figure(key).value is not None]
    missing = [r for r in rows if r.figure(key).value is None]
    present.sort(key=lambda r: r.figure(key).value, reverse=descending)
    return present + missing, sort


def kpi_board(
    *,
    user,
    area: Area,
    period: Period,
    today: date | None = None,
    sort: str = "",
    chart_kpi: str | None = None,
) -> KpiBoard:
    """The KPI page of ``area``: tiles, the areas below (sorted), trend, heat map,
    response-time distribution and the top and bottom communities for ``chart_kpi``."""
    today = today or timezone.localdate()
    live = LiveToday.compute(area=area, day=today)
    figures = tiles(user=user, area=area, period=period, today=today, live=live)
    children_areas = child_areas(user=user, area=area)
    children, applied = _sorted(
        area_rows(user=user, areas=children_areas, period=period, today=today, live=live),
        sort or "name",
    )
    spec = kpi_spec(chart_kpi or sort.lstrip("-"))
    top, bottom = (
        top_and_bottom(user=user, area=area, spec=spec, period=period, today=today, live=live)
        if area.level < Area.Level.COMMUNITY
        else ([], [])
    )
    by_code = {figure.code: figure for figure in figures}
    return KpiBoard(
        area=area,
        trail=breadcrumbs(user=user, area=area),
        period=period,
        today=today,
        figures=figures,
        children=children,
        sort=applied,
        chart_spec=spec,
        trend=monthly_trend(user=user, area=area, until=period.end, today=today, live=live),
        heat_map=supply_demand(user=user, area=area, children=children_areas),
        distribution=response_distribution(by_code["need_response_time"].parts),
        top=top,
        bottom=bottom,
    )


def home_tiles(*, user) -> tuple[Area, list[Figure]] | None:
    """This month's KPI tiles of the user's home area (the staff dashboard shows them)."""
    area = kpi_home(user=user)
    if area is None:
        return None
    today = timezone.localdate()
    period = month_of(today)
    live = LiveToday.compute(area=area, day=today)
    return area, tiles(user=user, area=area, period=period, today=today, live=live)

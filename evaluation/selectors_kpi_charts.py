"""The data behind the KPI charts; each chart's table view renders the same rows.

Monthly trends, the supply–demand heat map, the response-time distribution and the top and
bottom communities. A fixed number of queries each, whatever the number of areas.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count

from evaluation.kpi.definitions import KPIS, KpiSpec, Parts, combine_days, response_bands, value_of
from evaluation.kpi.periods import Period, months_ending
from evaluation.models import KpiDaily
from evaluation.selectors_kpi import LiveToday, period_figures
from portal.access import Action, scope
from portal.models import Area
from resources.models import Need, NeedCategory, Resource

TREND_MONTHS = 12
RANKED = 5


@dataclass
class TrendMonth:
    month: Period
    values: dict[str, Decimal | None]

    @property
    def ordered(self) -> list[Decimal | None]:
        """The values in the order of ``KPIS`` (the table's columns)."""
        return [self.values[spec.code] for spec in KPIS]


def monthly_trend(
    *, user, area: Area, until: date, today: date, live: LiveToday | None
) -> list[TrendMonth]:
    """Each KPI of ``area`` per calendar month, for the twelve months up to ``until``."""
    months = months_ending(min(until, today), TREND_MONTHS)
    first, last = months[0].start, min(months[-1].end, today)
    rows = (
        scope(KpiDaily.objects.all(), user, Action.DASHBOARD_VIEW)
        .filter(area=area, day__gte=first, day__lte=min(last, today - timedelta(days=1)))
        .values_list("day", "kpi", "numerator", "denominator", "histogram")
    )
    days: dict[str, dict[date, Parts]] = defaultdict(dict)
    for day, code, numerator, denominator, histogram in rows:
        days[code][day] = Parts(numerator, denominator, dict(histogram or {}))
    if live is not None and live.day == today and first <= today <= last:
        for code, parts in live.for_areas([area]).get(area.pk, {}).items():
            days[code][today] = parts
    trend = []
    for month in months:
        last_day = min(month.end, today)
        values = {}
        for spec in KPIS:
            in_month = {d: p for d, p in days[spec.code].items() if month.start <= d <= month.end}
            values[spec.code] = (
                value_of(spec, combine_days(spec, in_month, last_day=last_day))
                if month.start <= today
                else None
            )
        trend.append(TrendMonth(month=month, values=values))
    return trend


@dataclass
class HeatMap:
    columns: list[Area]
    rows: list[tuple[NeedCategory, list[int]]]


def _column_of(path: str, area: Area, columns: dict[str, Area]) -> Area | None:
    """The column (a child of ``area``, or ``area`` itself at the bottom) a record falls in."""
    if not columns:
        return None
    if area.path in columns:
        return columns[area.path]
    rest = path[len(area.path) :]
    return columns.get(area.path + rest.split("/", 1)[0] + "/")


def supply_demand(*, user, area: Area, children: list[Area]) -> HeatMap:
    """Open needs minus available resources, per need category and child area (now).

    A positive cell means more open needs than resources to meet them.
    """
    columns = {child.path: child for child in children} or {area.path: area}
    ordered = list(columns.values())
    balance: dict[tuple[int, int], int] = defaultdict(int)
    needs = (
        scope(Need.objects.all(), user, Action.NEED_VIEW)
        .filter(status__in=Need.OPEN_STATUSES, area__path__startswith=area.path)
        .values("category_id", "area__path")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in needs:
        column = _column_of(row["area__path"], area, columns)
        if column is not None:
            balance[(row["category_id"], column.pk)] += row["n"]
    resources = (
        scope(Resource.objects.all(), user, Action.RESOURCE_VIEW)
        .filter(status=Resource.Status.AVAILABLE, area__path__startswith=area.path)
        .values("categories", "area__path")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in resources:
        column = _column_of(row["area__path"], area, columns)
        if column is not None and row["categories"] is not None:
            balance[(row["categories"], column.pk)] -= row["n"]
    used = {category_id for category_id, _column in balance}
    categories = NeedCategory.objects.filter(pk__in=used).order_by("sort_order", "code")
    return HeatMap(
        columns=ordered,
        rows=[
            (category, [balance.get((category.pk, column.pk), 0) for column in ordered])
            for category in categories
        ],
    )


def response_distribution(parts: Parts) -> list[tuple[str, int]]:
    """Needs accepted in the period by how long they waited, in the chart's bands."""
    return response_bands(parts.histogram)


@dataclass
class Ranked:
    area: Area
    value: Decimal


def top_and_bottom(
    *,
    user,
    area: Area,
    spec: KpiSpec,
    period: Period,
    today: date,
    live: LiveToday | None,
    count: int = RANKED,
) -> tuple[list[Ranked], list[Ranked]]:
    """The communities under ``area`` with the best and the worst ``spec`` over ``period``."""
    parts = period_figures(
        user=user,
        communities_under=area,
        period=period,
        today=today,
        live=live,
        kpis=[spec.code],
    )
    valued = [
        (community_id, value)
        for community_id, by_code in parts.items()
        if (value := value_of(spec, by_code.get(spec.code, Parts()))) is not None
    ]
    reverse = spec.better != "lower"
    valued.sort(key=lambda item: item[1], reverse=reverse)
    top, bottom = valued[:count], list(reversed(valued[-count:])) if len(valued) > count else []
    names = Area.objects.in_bulk([community_id for community_id, _value in top + bottom])
    return (
        [Ranked(names[cid], value) for cid, value in top if cid in names],
        [Ranked(names[cid], value) for cid, value in bottom if cid in names],
    )

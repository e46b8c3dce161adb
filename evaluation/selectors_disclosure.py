"""Reads for the public disclosure pages (阳光社区): what any resident may see of a community.

These pages have no signed-in user, so there is no scope to apply: each read is of one
community's public facts, and each returns only fields that carry no personal data — no
requester, owner, contact, phone or address ever leaves these functions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Avg, Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from evaluation.kpi.definitions import KPI_BY_CODE, KPIS, Parts, combine_days, value_of
from evaluation.kpi.extract import extract_range
from evaluation.models import KpiDaily
from evaluation.services.annual_extract import year_bounds
from portal.models import Area
from resources.models import BudgetLine, Channel, Milestone, Need, Project, ProjectStatus

DISCLOSED_PROJECTS = (
    ProjectStatus.APPROVED,
    ProjectStatus.IN_PROGRESS,
    ProjectStatus.COMPLETED,
    ProjectStatus.EVALUATED,
)
# Joint-meeting decisions shown: taken up (accepted) or further along.
DECIDED = (
    Need.Status.ACCEPTED,
    Need.Status.MATCHED,
    Need.Status.IN_PROGRESS,
    Need.Status.RESOLVED,
    Need.Status.EVALUATED,
)
DONE = (Need.Status.RESOLVED, Need.Status.EVALUATED)
RECENT_DECISIONS = 30


def public_communities() -> QuerySet[Area]:
    """Every community, with its street, in tree order."""
    return Area.objects.filter(level=Area.Level.COMMUNITY).select_related("parent").order_by("path")


def public_community(code: str) -> Area:
    """The community with ``code``; 404 for any other code or level."""
    return get_object_or_404(
        Area.objects.select_related("parent"), code=code, level=Area.Level.COMMUNITY
    )


@dataclass(frozen=True)
class BudgetLineFacts:
    item: str
    amount: Decimal
    spent: Decimal


@dataclass(frozen=True)
class MilestoneFacts:
    title: str
    due_date: object
    reached_at: datetime | None


@dataclass(frozen=True)
class ProjectFacts:
    title: str
    description: str
    status: str
    status_label: str
    planned_start: object
    planned_end: object
    completed_at: datetime | None
    lines: list[BudgetLineFacts]
    contingency_rate: Decimal
    milestones: list[MilestoneFacts]

    @property
    def itemised(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0"))

    @property
    def contingency_percent(self) -> str:
        return f"{(self.contingency_rate * 100).normalize():f}"

    @property
    def contingency(self) -> Decimal:
        return (self.itemised * self.contingency_rate).quantize(Decimal("0.01"))

    @property
    def budget(self) -> Decimal:
        return self.itemised + self.contingency

    @property
    def spent(self) -> Decimal:
        return sum((line.spent for line in self.lines), Decimal("0"))

    @property
    def milestones_reached(self) -> int:
        return sum(1 for m in self.milestones if m.reached_at)


def disclosed_projects(community: Area) -> list[ProjectFacts]:
    """Approved and later projects of the community with budgets, spending and milestones
    (three queries)."""
    projects = (
        Project.objects.filter(area=community, status__in=DISCLOSED_PROJECTS)
        .prefetch_related(
            Prefetch("budget_lines", queryset=BudgetLine.objects.order_by("id")),
            Prefetch("milestones", queryset=Milestone.objects.order_by("due_date", "id")),
        )
        .order_by("-planned_start", "-id")
    )
    return [
        ProjectFacts(
            title=p.title,
            description=p.description,
            status=p.status,
            status_label=str(p.get_status_display()),
            planned_start=p.planned_start,
            planned_end=p.planned_end,
            completed_at=p.completed_at,
            lines=[BudgetLineFacts(b.item, b.amount, b.spent) for b in p.budget_lines.all()],
            contingency_rate=p.contingency_rate,
            milestones=[
                MilestoneFacts(m.title, m.due_date, m.reached_at) for m in p.milestones.all()
            ],
        )
        for p in projects
    ]


@dataclass(frozen=True)
class DecisionFacts:
    title: str
    category: str
    status: str
    status_label: str
    decided_at: datetime
    resolution: str


def joint_meeting_decisions(community: Area) -> list[DecisionFacts]:
    """Needs raised at council or joint meetings that were taken up: title, category, status,
    when, and the resolution once resolved — the latest ``RECENT_DECISIONS`` (one query)."""
    needs = (
        Need.objects.filter(community=community, channel=Channel.COUNCIL, status__in=DECIDED)
        .select_related("category")
        .order_by("-accepted_at", "-id")
        .only("title", "category__name", "status", "accepted_at", "resolution")[:RECENT_DECISIONS]
    )
    return [
        DecisionFacts(
            title=n.title,
            category=n.category.name,
            status=n.status,
            status_label=str(n.get_status_display()),
            decided_at=n.accepted_at,
            resolution=n.resolution if n.status in DONE else "",
        )
        for n in needs
    ]


@dataclass(frozen=True)
class KpiSummary:
    year: int
    received: int
    resolved: int
    ratings: int
    satisfied: int
    mean_rating: Decimal | None
    response_rate: Decimal | None
    satisfaction: Decimal | None


def kpi_summary(community: Area, *, year: int | None = None) -> KpiSummary:
    """This year's needs of the community: received, resolved, the residents' ratings of
    needs, and the response rate and resident satisfaction of the year so far.

    The two rates come from ``evaluation.kpi.extract`` over the year up to today, the very
    rules the nightly roll-ups store, so they match the programme's indicators shown below
    them (which stop at the last roll-up). A few queries, whatever the number of needs.
    """
    today = timezone.localdate()
    year = year or today.year
    start, end = year_bounds(year)
    figures = Need.objects.filter(community=community, submitted_at__range=(start, end)).aggregate(
        received=Count("id"),
        resolved=Count("id", filter=Q(status__in=DONE)),
        mean=Avg("rating"),
    )
    mean = figures.pop("mean")
    last = min(date(year, 12, 31), today)
    parts = extract_range(
        date(year, 1, 1),
        last,
        under=community.path,
        only={"need_response_rate", "resident_satisfaction"},
    ).get(community.pk, {})
    rate = parts.get("need_response_rate", Parts())
    satisfaction = parts.get("resident_satisfaction", Parts())
    return KpiSummary(
        year=year,
        mean_rating=None if mean is None else Decimal(str(mean)).quantize(Decimal("0.01")),
        ratings=int(satisfaction.denominator),
        satisfied=int(satisfaction.numerator),
        response_rate=value_of(KPI_BY_CODE["need_response_rate"], rate),
        satisfaction=value_of(KPI_BY_CODE["resident_satisfaction"], satisfaction),
        **figures,
    )


def project_totals(projects: list[ProjectFacts]) -> dict[str, Decimal | int]:
    """Sums over the disclosed projects (no query)."""
    return {
        "count": len(projects),
        "budget": sum((p.budget for p in projects), Decimal("0")),
        "spent": sum((p.spent for p in projects), Decimal("0")),
    }


@dataclass(frozen=True)
class KpiFigure:
    label: str
    value: Decimal | None
    unit: str


def rolled_up_kpis(community: Area, *, year: int | None = None) -> tuple[date | None, list]:
    """The community's KPIs for the year so far from the nightly roll-ups (one query): the last
    day rolled up and each KPI's figure; (None, []) before the first roll-up of the year."""
    year = year or timezone.localdate().year
    rows = KpiDaily.objects.filter(
        area=community, day__range=(date(year, 1, 1), date(year, 12, 31))
    ).values_list("day", "kpi", "numerator", "denominator", "histogram")
    days: dict[str, dict[date, Parts]] = defaultdict(dict)
    last_day = None
    for day, kpi, numerator, denominator, histogram in rows:
        days[kpi][day] = Parts(Decimal(numerator), Decimal(denominator), dict(histogram or {}))
        last_day = day if last_day is None or day > last_day else last_day
    if last_day is None:
        return None, []
    figures = [
        KpiFigure(
            label=str(spec.label),
            value=value_of(spec, combine_days(spec, days.get(spec.code, {}), last_day=last_day)),
            unit=str(spec.unit),
        )
        for spec in KPIS
    ]
    return last_day, figures

"""Read one day's (or a range of days') KPI parts per community from the raw records.

A fixed number of grouped queries per call, however many communities there are: each query
groups by community and the per-record rules of ``evaluation.kpi.definitions`` decide what
counts. Callers: the roll-up service (past days) and the dashboards (today, live).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from evaluation.kpi.definitions import (
    NeedFacts,
    Parts,
    dispute_outcome,
    hour_bucket,
    is_closed_loop,
    is_satisfied,
    parts_from_counts,
    response_hours,
    response_outcome,
)
from portal.models import Area
from reporting.models import Enrollment, PartyMember, ServiceRecord
from resources.models import Match, Need, NeedCategory, Project, Resource
from resources.models.lists import SPECIAL_GROUPS

# The need category of neighbour disputes (resources/migrations/0002_seed_need_categories.py);
# its sub-categories count too.
DISPUTE_CATEGORY_CODE = "neighbour_disputes"
# A project uses its resources once it has started and until it is cancelled.
RUNNING_PROJECT_STATUSES = ("in_progress", "completed", "evaluated")

CommunityParts = dict[int, dict[str, Parts]]


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The start and end of ``day`` in the project's time zone."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def year_start(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, 1, 1))


def dispute_category_ids() -> set[int]:
    """Ids of the neighbour-dispute category and everything below it."""
    rows = list(NeedCategory.objects.values_list("pk", "parent_id", "code"))
    found = {pk for pk, _parent, code in rows if code == DISPUTE_CATEGORY_CODE}
    grew = True
    while grew:
        more = {pk for pk, parent, _code in rows if parent in found and pk not in found}
        found |= more
        grew = bool(more)
    return found


def community_ids_by_area(under: str | None) -> dict[int, int]:
    """{area id: its community's id} for communities and grids (under a path prefix)."""
    areas = Area.objects.filter(level__gte=Area.Level.COMMUNITY)
    if under:
        areas = areas.filter(path__startswith=under)
    rows = list(areas.values_list("pk", "level", "parent_id"))
    return {
        pk: (pk if level == Area.Level.COMMUNITY else parent)
        for pk, level, parent in rows
        if level <= Area.Level.GRID
    }


def _under(qs, lookup: str, under: str | None):
    return qs.filter(**{f"{lookup}__startswith": under}) if under else qs


# Which KPIs each reader yields, so a partial recomputation runs only the readers it needs.
_READER_KPIS = {
    "need_flows": {
        "need_response_rate",
        "need_response_time",
        "closed_loop_rate",
        "resident_satisfaction",
        "dispute_mediation_success",
    },
    "ratings": {"resident_satisfaction"},
    "match_flows": {"matching_accuracy"},
    "matching_coverage": {"matching_coverage"},
    "members": {"member_participation", "volunteer_hours", "member_enrollment_rate"},
    "units": {"unit_docking_rate"},
    "resources": {"resource_utilisation"},
    "special_groups": {"special_group_coverage"},
}


def extract_day(
    day: date,
    *,
    under: str | None = None,
    now: datetime | None = None,
    only: Iterable[str] | None = None,
) -> CommunityParts:
    """{community id: {kpi code: Parts}} for ``day``, for communities under ``under`` (a path).

    ``only`` limits the work to some KPI codes. Communities with nothing to count are absent.
    """
    return extract_range(day, day, under=under, now=now, only=only)


def extract_range(
    first: date,
    last: date,
    *,
    under: str | None = None,
    now: datetime | None = None,
    only: Iterable[str] | None = None,
    active_since: date | None = None,
) -> CommunityParts:
    """The parts of the days ``first`` to ``last`` in one pass: flows over the whole range,
    stocks at the end of ``last``. Equal to the roll-ups of those days combined; the
    benchmark uses it as the fastest way to compute a period from the raw records.

    ``active_since`` is where member participation and resource utilisation start looking
    for service and use (default: January 1 of ``last``'s year, as the roll-ups store them).
    Distinct members or resources cannot be summed over days, so the dashboards pass the
    period's first day to read those two KPIs "in the period" (see ``period_figures``).
    """
    now = now or timezone.now()
    since = active_since or date(last.year, 1, 1)
    start, end = day_bounds(first)[0], day_bounds(last)[1]
    wanted = set(only) if only is not None else None
    result: CommunityParts = defaultdict(dict)

    def put(community_id: int | None, code: str, parts: Parts) -> None:
        if community_id is None or parts.is_empty() or (wanted is not None and code not in wanted):
            return
        result[community_id].setdefault(code, Parts()).add(parts)

    readers = {
        "need_flows": lambda: _need_flows(start, end, now, under, put),
        "ratings": lambda: _ratings(start, end, under, put),
        "match_flows": lambda: _match_flows(start, end, under, put),
        "matching_coverage": lambda: _matching_coverage(end, under, put),
        "members": lambda: _members(first, last, end, under, put, since),
        "units": lambda: _units(last, end, under, put),
        "resources": lambda: _resources(since, last, end, under, put),
        "special_groups": lambda: _special_groups(last, end, under, put),
    }
    for name, read in readers.items():
        if wanted is None or _READER_KPIS[name] & wanted:
            read()
    return dict(result)


def _need_flows(start, end, now, under, put) -> None:
    disputes = dispute_category_ids()
    on_day = Q()
    for stamp in ("submitted_at", "due_at", "accepted_at", "resolved_at", "closed_at"):
        on_day |= Q(**{f"{stamp}__gte": start, f"{stamp}__lt": end})
    on_day |= Q(evaluated_at__gte=start, evaluated_at__lt=end, rating__isnull=False)
    rows = _under(Need.objects.filter(on_day), "community__path", under).values_list(
        "community_id",
        "status",
        "submitted_at",
        "due_at",
        "accepted_at",
        "resolved_at",
        "closed_at",
        "rating",
        "evaluated_at",
        "category_id",
    )

    def within(moment: datetime | None) -> bool:
        return moment is not None and start <= moment < end

    for row in rows.iterator(chunk_size=2000):
        need = NeedFacts(*row[:9], is_dispute=row[9] in disputes)
        cid = need.community_id
        outcome = response_outcome(need, now=now)
        if outcome and within(outcome[0]):
            put(cid, "need_response_rate", parts_from_counts(int(outcome[1]), 1))
        if within(need.accepted_at):
            hours = response_hours(need)
            put(
                cid,
                "need_response_time",
                Parts(Decimal(hours), Decimal(1), {hour_bucket(hours): 1}),
            )
        if within(need.submitted_at) and need.status != "merged":
            put(cid, "closed_loop_rate", parts_from_counts(int(is_closed_loop(need)), 1))
        if within(need.evaluated_at) and need.rating is not None:
            put(cid, "resident_satisfaction", parts_from_counts(int(is_satisfied(need.rating)), 1))
        settled = dispute_outcome(need)
        if settled and within(settled[0]):
            put(cid, "dispute_mediation_success", parts_from_counts(int(settled[1]), 1))


def _ratings(start, end, under, put) -> None:
    """Residents' stars for the projects that met their needs (rater key ``need:<id>``; the
    needs' own ratings are read above). Members' ratings of activities are not residents'."""
    from evaluation.models.ratings import Rating

    rated = _under(
        Rating.objects.filter(
            created_at__gte=start,
            created_at__lt=end,
            project__isnull=False,
            rater_key__startswith="need:",
        ),
        "community__path",
        under,
    )
    rows = rated.values("community_id").annotate(
        total=Count("pk"), satisfied=Count("pk", filter=Q(stars__gte=4))
    )
    for row in rows.order_by():
        put(
            row["community_id"],
            "resident_satisfaction",
            parts_from_counts(row["satisfied"], row["total"]),
        )


def _match_flows(start, end, under, put) -> None:
    decided = _under(
        Match.objects.filter(
            decided_at__gte=start, decided_at__lt=end, status__in=["accepted", "rejected"]
        ),
        "need__community__path",
        under,
    )
    rows = decided.values("need__community_id").annotate(
        decided=Count("pk"), accepted=Count("pk", filter=Q(status="accepted"))
    )
    for row in rows.order_by():
        put(
            row["need__community_id"],
            "matching_accuracy",
            parts_from_counts(row["accepted"], row["decided"]),
        )


def _matching_coverage(end, under, put) -> None:
    open_needs = _under(
        Need.objects.filter(submitted_at__lt=end)
        .exclude(resolved_at__lt=end)
        .exclude(closed_at__lt=end),
        "community__path",
        under,
    ).annotate(proposed=Exists(Match.objects.filter(need=OuterRef("pk"), proposed_at__lt=end)))
    rows = (
        open_needs.values("community_id")
        .annotate(total=Count("pk"), covered=Count("pk", filter=Q(proposed=True)))
        .order_by()
    )
    for row in rows:
        put(
            row["community_id"],
            "matching_coverage",
            parts_from_counts(row["covered"], row["total"]),
        )


def _enrolled(day: date, end: datetime):
    """Enrollments of ``day``'s year in force at ``end`` (confirmed, not withdrawn by then)."""
    return Enrollment.objects.filter(year=day.year, confirmed_at__lt=end).exclude(
        withdrawn_at__lt=end
    )


def _members(first_day, day, end, under, put, since: date) -> None:
    first = since
    enrolled = _under(_enrolled(day, end).filter(member__isnull=False), "community__path", under)
    served_hours = (
        ServiceRecord.objects.filter(member=OuterRef("member_id"), service_date__range=(first, day))
        .order_by()
        .values("member_id")
        .annotate(total=Sum("hours"))
        .values("total")
    )
    rows = (
        enrolled.annotate(hours_ytd=Subquery(served_hours))
        .values("community_id")
        .annotate(total=Count("pk"), served=Count("pk", filter=Q(hours_ytd__gt=0)))
        .order_by()
    )
    for row in rows:
        put(
            row["community_id"],
            "member_participation",
            parts_from_counts(row["served"], row["total"]),
        )
        put(row["community_id"], "volunteer_hours", Parts(denominator=Decimal(row["total"])))

    hours = _under(
        ServiceRecord.objects.filter(service_date__range=(first_day, day)), "community__path", under
    )
    for row in hours.values("community_id").annotate(total=Sum("hours")).order_by():
        put(row["community_id"], "volunteer_hours", Parts(numerator=Decimal(row["total"] or 0)))

    registered = _under(
        PartyMember.objects.filter(created_at__lt=end), "home_community__path", under
    ).annotate(enrolled=Exists(_enrolled(day, end).filter(member=OuterRef("pk"))))
    rows = (
        registered.values("home_community_id")
        .annotate(total=Count("pk"), enrolled_count=Count("pk", filter=Q(enrolled=True)))
        .order_by()
    )
    for row in rows:
        put(
            row["home_community_id"],
            "member_enrollment_rate",
            parts_from_counts(row["enrolled_count"], row["total"]),
        )


def _running_projects(day: date, end: datetime, since: date | None = None):
    """Projects that ran from ``since`` (default: January 1 of ``day``'s year) up to ``end``:
    started by then, not finished before."""
    start = year_start(day) if since is None else day_bounds(since)[0]
    return Project.objects.filter(status__in=RUNNING_PROJECT_STATUSES, started_at__lt=end).exclude(
        completed_at__lt=start
    )


def _units(day, end, under, put) -> None:
    docked = _running_projects(day, end).filter(resources__provider_unit=OuterRef("unit_id"))
    enrolled = _under(_enrolled(day, end).filter(unit__isnull=False), "community__path", under)
    rows = (
        enrolled.annotate(docked=Exists(docked))
        .values("community_id")
        .annotate(total=Count("pk"), docked_count=Count("pk", filter=Q(docked=True)))
        .order_by()
    )
    for row in rows:
        put(
            row["community_id"],
            "unit_docking_rate",
            parts_from_counts(row["docked_count"], row["total"]),
        )


def _resources(since, day, end, under, put) -> None:
    communities = community_ids_by_area(under)
    used_by_match = Match.objects.filter(
        resource=OuterRef("pk"),
        status="accepted",
        decided_at__gte=day_bounds(since)[0],
        decided_at__lt=end,
    )
    used_by_project = _running_projects(day, end, since).filter(resources=OuterRef("pk"))
    resources = (
        _under(
            Resource.objects.filter(created_at__lt=end, area__level__gte=Area.Level.COMMUNITY),
            "area__path",
            under,
        )
        .exclude(status=Resource.Status.RETIRED)
        .annotate(used=Exists(used_by_match) | Exists(used_by_project))
    )
    rows = (
        resources.values("area_id")
        .annotate(total=Count("pk"), used_count=Count("pk", filter=Q(used=True)))
        .order_by()
    )
    for row in rows:
        put(
            communities.get(row["area_id"]),
            "resource_utilisation",
            parts_from_counts(row["used_count"], row["total"]),
        )


def _special_groups(day, end, under, put) -> None:
    needs = _under(
        Need.objects.filter(
            target_group__in=list(SPECIAL_GROUPS),
            submitted_at__gte=year_start(day),
            submitted_at__lt=end,
        ).exclude(status="merged"),
        "community__path",
        under,
    )
    households: dict[int, dict[str, bool]] = defaultdict(dict)
    for community_id, phone, resolved_at in needs.values_list(
        "community_id", "requester_phone", "resolved_at"
    ).iterator(chunk_size=2000):
        served = resolved_at is not None and resolved_at < end
        households[community_id][phone] = households[community_id].get(phone, False) or served
    for community_id, phones in households.items():
        put(
            community_id,
            "special_group_coverage",
            parts_from_counts(sum(phones.values()), len(phones)),
        )

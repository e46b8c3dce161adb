"""Read one street's year of records into the plain figures the annual scoring takes.

A fixed number of queries per street and kind, whatever the number of subjects. What counts:

* the **cohort** is every member and unit with a confirmed or active enrollment for the year in
  a community of the street (they are evaluated where they enrolled);
* **hours**: the member's verified service hours dated in the year (corrections included);
* **resources used**: resources the subject provides (``Resource.provider_member`` /
  ``provider_unit``) that served a need (an accepted match decided in the year) or a project
  completed in the year;
* **projects completed**: for a member, projects they own completed in the year; for a unit,
  completed projects that used one of its resources;
* **ratings**: residents' stars for needs served through the subject's resources (rated in the
  year), members' stars for activities the member served in, residents' stars for the projects
  counted above — all in one mean;
* **needs resolved** / **special-group needs**: needs served through the subject's resources
  and resolved in the year, and those of them raised for a special group;
* **activities served** (members): activities with the member's verified hours in the year;
* **active months**: months of the year with service hours (members) or with an accepted match
  or a completed project (units);
* **consecutive years**: years enrolled without a gap, counting back from this one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Sum
from django.utils import timezone

from evaluation.annual.scoring import SubjectFigures, SubjectKind, q
from evaluation.models import Rating
from portal.models import Area
from reporting.models import Enrollment, EnrollmentStatus, ServiceRecord
from resources.models import SPECIAL_GROUPS, Match, MatchStatus, Project, ProjectStatus

COUNTED_ENROLLMENTS = (EnrollmentStatus.CONFIRMED, EnrollmentStatus.ACTIVE)
DONE_PROJECTS = (ProjectStatus.COMPLETED, ProjectStatus.EVALUATED)
ProjectResource = Project.resources.through


@dataclass(frozen=True, slots=True)
class Enrolled:
    """A subject of the cohort: who, and in which community it enrolled."""

    kind: SubjectKind
    subject_id: int
    community_id: int

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.subject_id}"


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The first and last moment of ``year`` in local time."""
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(date(year, 1, 1), time.min, tzinfo=tz),
        datetime.combine(date(year, 12, 31), time.max, tzinfo=tz),
    )


def cohort(*, year: int, street: Area) -> list[Enrolled]:
    """Members and units enrolled (confirmed or active) for ``year`` in the street's communities."""
    rows = (
        Enrollment.objects.filter(
            year=year,
            status__in=COUNTED_ENROLLMENTS,
            community__parent=street,
            community__level=Area.Level.COMMUNITY,
        )
        .order_by("id")
        .values_list("member_id", "unit_id", "community_id")
    )
    subjects: dict[str, Enrolled] = {}
    for member_id, unit_id, community_id in rows:
        if member_id:
            subject = Enrolled(SubjectKind.MEMBER, member_id, community_id)
        else:
            subject = Enrolled(SubjectKind.UNIT, unit_id, community_id)
        subjects.setdefault(subject.key, subject)
    return list(subjects.values())


def _consecutive_years(years: set[int], year: int) -> int:
    count = 0
    while year - count in years:
        count += 1
    return count


def _mean(stars: list[int]) -> Decimal | None:
    if not stars:
        return None
    return (Decimal(sum(stars)) / len(stars)).quantize(Decimal("0.01"), ROUND_HALF_UP)


class _Tally:
    """Per subject id: the sets and lists the figures are counted from."""

    def __init__(self):
        self.hours: dict[int, Decimal] = defaultdict(Decimal)
        self.months: dict[int, set[int]] = defaultdict(set)
        self.resources: dict[int, set[int]] = defaultdict(set)
        self.projects: dict[int, set[int]] = defaultdict(set)
        self.stars: dict[int, list[int]] = defaultdict(list)
        self.needs: dict[int, set[int]] = defaultdict(set)
        self.special: dict[int, set[int]] = defaultdict(set)
        self.years: dict[int, set[int]] = defaultdict(set)
        self.activities: dict[int, set[int]] = defaultdict(set)

    def figures(self, kind: SubjectKind, subject_id: int, year: int) -> SubjectFigures:
        return SubjectFigures(
            key=f"{kind}:{subject_id}",
            kind=kind,
            hours=q(self.hours[subject_id]),
            resources_used=len(self.resources[subject_id]),
            projects_completed=len(self.projects[subject_id]),
            mean_rating=_mean(self.stars[subject_id]),
            ratings_count=len(self.stars[subject_id]),
            needs_resolved=len(self.needs[subject_id]),
            special_group_needs=len(self.special[subject_id]),
            activities_served=len(self.activities[subject_id]),
            active_months=len(self.months[subject_id]),
            consecutive_years=_consecutive_years(self.years[subject_id], year),
        )


def _provided(tally: _Tally, *, provider: str, ids: list[int], year: int) -> dict[int, set[int]]:
    """Resources, served needs and their ratings, through the subjects' resources.

    Returns the projects completed in the year that used each subject's resources.
    """
    start, end = year_bounds(year)
    by_provider = f"resource__{provider}_id"
    accepted = Match.objects.filter(status=MatchStatus.ACCEPTED, **{f"{by_provider}__in": ids})
    for subject_id, resource_id, decided_at in accepted.filter(
        decided_at__range=(start, end)
    ).values_list(by_provider, "resource_id", "decided_at"):
        tally.resources[subject_id].add(resource_id)
        if provider == "provider_unit":
            tally.months[subject_id].add(timezone.localtime(decided_at).month)
    for subject_id, need_id, group in accepted.filter(
        need__resolved_at__range=(start, end)
    ).values_list(by_provider, "need_id", "need__target_group"):
        tally.needs[subject_id].add(need_id)
        if group in SPECIAL_GROUPS:
            tally.special[subject_id].add(need_id)
    for subject_id, stars in accepted.filter(
        need__evaluated_at__range=(start, end), need__rating__isnull=False
    ).values_list(by_provider, "need__rating"):
        tally.stars[subject_id].append(stars)
    used_by_projects: dict[int, set[int]] = defaultdict(set)
    for subject_id, resource_id, project_id, completed_at in ProjectResource.objects.filter(
        **{f"{by_provider}__in": ids},
        project__status__in=DONE_PROJECTS,
        project__completed_at__range=(start, end),
    ).values_list(by_provider, "resource_id", "project_id", "project__completed_at"):
        tally.resources[subject_id].add(resource_id)
        used_by_projects[subject_id].add(project_id)
        if provider == "provider_unit":
            tally.months[subject_id].add(timezone.localtime(completed_at).month)
    return used_by_projects


def _project_stars(tally: _Tally, projects_of: dict[int, set[int]], year: int) -> None:
    start, end = year_bounds(year)
    wanted = set().union(*projects_of.values()) if projects_of else set()
    if not wanted:
        return
    stars_of: dict[int, list[int]] = defaultdict(list)
    for project_id, stars in Rating.objects.filter(
        project_id__in=wanted, created_at__range=(start, end)
    ).values_list("project_id", "stars"):
        stars_of[project_id].append(stars)
    for subject_id, projects in projects_of.items():
        for project_id in projects:
            tally.stars[subject_id].extend(stars_of[project_id])


def _enrolled_years(tally: _Tally, *, field: str, ids: list[int], year: int) -> None:
    for subject_id, enrolled_year in (
        Enrollment.objects.filter(
            **{f"{field}__in": ids}, year__lte=year, status__in=COUNTED_ENROLLMENTS
        )
        .values_list(field, "year")
        .distinct()
    ):
        tally.years[subject_id].add(enrolled_year)


def member_figures(ids: list[int], year: int) -> dict[str, SubjectFigures]:
    """The year's figures of the members with ``ids``, keyed ``member:<id>``."""
    tally = _Tally()
    if not ids:
        return {}
    first, last = date(year, 1, 1), date(year, 12, 31)
    start, end = year_bounds(year)
    services = ServiceRecord.objects.filter(member_id__in=ids, service_date__range=(first, last))
    for row in services.values("member_id").annotate(total=Sum("hours")):
        # SQLite sums decimals as floats: back to two places.
        tally.hours[row["member_id"]] = q(Decimal(row["total"] or 0))
    served_activities: dict[int, set[int]] = defaultdict(set)
    for member_id, day, activity_id, hours in services.values_list(
        "member_id", "service_date", "activity_id", "hours"
    ):
        if hours > 0:
            tally.months[member_id].add(day.month)
        if activity_id:
            served_activities[member_id].add(activity_id)
            if hours > 0:
                tally.activities[member_id].add(activity_id)
    _provided(tally, provider="provider_member", ids=ids, year=year)
    owned: dict[int, set[int]] = defaultdict(set)
    for member_id, project_id in Project.objects.filter(
        owner__party_member__id__in=ids,
        status__in=DONE_PROJECTS,
        completed_at__range=(start, end),
    ).values_list("owner__party_member__id", "pk"):
        owned[member_id].add(project_id)
        tally.projects[member_id].add(project_id)
    _project_stars(tally, owned, year)
    activities = set().union(*served_activities.values()) if served_activities else set()
    if activities:
        # Each activity's stars with who gave them: a member's own rating of an activity they
        # served in says nothing about them, so it never counts towards their satisfaction.
        stars_of: dict[int, list[tuple[str, int]]] = defaultdict(list)
        for activity_id, rater_key, stars in Rating.objects.filter(
            activity_id__in=activities, created_at__range=(start, end)
        ).values_list("activity_id", "rater_key", "stars"):
            stars_of[activity_id].append((rater_key, stars))
        for member_id, served in served_activities.items():
            own_key = f"member:{member_id}"
            for activity_id in served:
                tally.stars[member_id].extend(
                    stars for rater_key, stars in stars_of[activity_id] if rater_key != own_key
                )
    _enrolled_years(tally, field="member_id", ids=ids, year=year)
    return {f"member:{i}": tally.figures(SubjectKind.MEMBER, i, year) for i in ids}


def unit_figures(ids: list[int], year: int) -> dict[str, SubjectFigures]:
    """The year's figures of the units with ``ids``, keyed ``unit:<id>``."""
    tally = _Tally()
    if not ids:
        return {}
    used_by_projects = _provided(tally, provider="provider_unit", ids=ids, year=year)
    for unit_id, projects in used_by_projects.items():
        tally.projects[unit_id] |= projects
    _project_stars(tally, used_by_projects, year)
    _enrolled_years(tally, field="unit_id", ids=ids, year=year)
    return {f"unit:{i}": tally.figures(SubjectKind.UNIT, i, year) for i in ids}

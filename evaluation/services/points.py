"""The nightly award: points for every record that earns them and has not been booked yet.

Each source is read in batches with the records already booked left out by the query itself
(``NOT EXISTS`` on the unique ``source_key``), so a run costs in proportion to what is new,
not to history. Each entry is booked in its own transaction (a savepoint when called inside
one): a failure keeps what was booked before it, and two runs at once book each record once,
the loser of a race counting it as skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from evaluation.models import RULE_EVENTS, PointEntry, PointEvent
from evaluation.rules import RuleBook
from evaluation.selectors import rule_book
from evaluation.services.ledger import Subject, book_once
from portal import audit
from reporting.models import Enrollment, ServiceRecord
from resources.models import Match, MatchStatus, Need, Project, ProjectStatus

BATCH = 500


@dataclass(frozen=True, slots=True)
class Candidate:
    """One record that earns points, as plain values."""

    source_key: str
    event: str
    subject: Subject
    community_id: int
    community_path: str
    occurred_on: date
    year: int
    quantity: Decimal = Decimal("1")  # hours for service records, else one award


def _not_booked(prefix: str, suffix: str = "") -> Exists:
    """True for rows of the outer query whose source key has no entry yet."""
    parts = [Value(prefix), Cast(OuterRef("pk"), CharField())]
    if suffix:
        parts.append(Value(suffix))
    return ~Exists(PointEntry.objects.filter(source_key=Concat(*parts, output_field=CharField())))


def _batches(qs: QuerySet, fields: list[str]) -> Iterator[dict]:
    """Rows of ``qs`` in primary-key order, ``BATCH`` at a time (re-filtered every batch)."""
    last = 0
    while True:
        rows = list(qs.filter(pk__gt=last).order_by("pk").values("pk", *fields)[:BATCH])
        yield from rows
        if len(rows) < BATCH:
            return
        last = rows[-1]["pk"]


def _local_date(moment: datetime) -> date:
    return timezone.localdate(moment)


def _service_records(until: datetime | None) -> Iterator[Candidate]:
    # Every service record is verified: it exists only once an organiser confirmed the
    # attendance (confirmed_by is required). Corrections carry the difference, maybe negative.
    qs = ServiceRecord.objects.filter(_not_booked("service_record:"))
    if until is not None:
        qs = qs.filter(created_at__lte=until)
    fields = ["member_id", "community_id", "community__path", "service_date", "hours"]
    for row in _batches(qs, fields):
        yield Candidate(
            source_key=f"service_record:{row['pk']}",
            event=PointEvent.SERVICE_HOUR,
            subject=Subject(member_id=row["member_id"]),
            community_id=row["community_id"],
            community_path=row["community__path"],
            occurred_on=row["service_date"],
            year=row["service_date"].year,
            quantity=row["hours"],
        )


def _enrollments(until: datetime | None) -> Iterator[Candidate]:
    qs = Enrollment.objects.filter(confirmed_at__isnull=False).filter(_not_booked("enrollment:"))
    if until is not None:
        qs = qs.filter(confirmed_at__lte=until)
    fields = ["member_id", "unit_id", "community_id", "community__path", "confirmed_at", "year"]
    for row in _batches(qs, fields):
        yield Candidate(
            source_key=f"enrollment:{row['pk']}",
            event=PointEvent.ENROLLMENT_CONFIRMED,
            subject=Subject(member_id=row["member_id"], unit_id=row["unit_id"]),
            community_id=row["community_id"],
            community_path=row["community__path"],
            occurred_on=_local_date(row["confirmed_at"]),
            year=row["year"],
        )


def _completed_projects(until: datetime | None) -> Iterator[Candidate]:
    # Only owners registered as party members earn points; other owners are not candidates.
    qs = Project.objects.filter(
        status__in=[ProjectStatus.COMPLETED, ProjectStatus.EVALUATED],
        completed_at__isnull=False,
        owner__party_member__isnull=False,
    ).filter(_not_booked("project:", ":owner"))
    if until is not None:
        qs = qs.filter(completed_at__lte=until)
    fields = ["owner__party_member__id", "area_id", "area__path", "completed_at"]
    for row in _batches(qs, fields):
        occurred = _local_date(row["completed_at"])
        yield Candidate(
            source_key=f"project:{row['pk']}:owner",
            event=PointEvent.PROJECT_OWNER_COMPLETED,
            subject=Subject(member_id=row["owner__party_member__id"]),
            community_id=row["area_id"],
            community_path=row["area__path"],
            occurred_on=occurred,
            year=occurred.year,
        )


def _five_star_ratings(until: datetime | None) -> Iterator[Candidate]:
    # The provider registered behind the resource of the need's accepted match gets the star.
    accepted = Match.objects.filter(need=OuterRef("pk"), status=MatchStatus.ACCEPTED)
    qs = (
        Need.objects.filter(rating=5, evaluated_at__isnull=False)
        .annotate(
            provider_member=Subquery(accepted.values("resource__provider_member")[:1]),
            provider_unit=Subquery(accepted.values("resource__provider_unit")[:1]),
        )
        .filter(Q(provider_member__isnull=False) | Q(provider_unit__isnull=False))
        .filter(_not_booked("rating:need:"))
    )
    if until is not None:
        qs = qs.filter(evaluated_at__lte=until)
    fields = [
        "provider_member",
        "provider_unit",
        "community_id",
        "community__path",
        "evaluated_at",
    ]
    for row in _batches(qs, fields):
        occurred = _local_date(row["evaluated_at"])
        # A resource has at most one registered provider (resource_one_registered_provider).
        member_id = row["provider_member"]
        yield Candidate(
            source_key=f"rating:need:{row['pk']}",
            event=PointEvent.RATING_FIVE_STAR,
            subject=Subject(
                member_id=member_id, unit_id=None if member_id else row["provider_unit"]
            ),
            community_id=row["community_id"],
            community_path=row["community__path"],
            occurred_on=occurred,
            year=occurred.year,
        )


SOURCES: tuple[Callable[[datetime | None], Iterator[Candidate]], ...] = (
    _service_records,
    _enrollments,
    _completed_projects,
    _five_star_ratings,
)


def _book(candidate: Candidate, rules: RuleBook) -> bool:
    rule = rules.rule_for(candidate.event, area_path=candidate.community_path, year=candidate.year)
    entry = book_once(
        subject=candidate.subject,
        community=candidate.community_id,
        event=candidate.event,
        source_key=candidate.source_key,
        occurred_on=candidate.occurred_on,
        rule_points=rule.points * candidate.quantity,
        daily_cap=rule.daily_cap,
    )
    return entry is not None


def award_points(*, until: datetime | None = None) -> dict[str, int]:
    """Book the points earned by records up to ``until`` (default: all) that lack an entry.

    Sources: verified service records (points per hour, corrections negative), confirmed
    enrollments (member or unit), completed projects whose owner is a party member, and
    five-star ratings of needs served by a registered member's or unit's resource. Rules are
    resolved per community and year, with daily caps. Returns the number of entries booked per
    event and ``skipped`` (records another run booked first). A second run books nothing and
    returns only zeros.
    """
    counts = {str(event): 0 for event in RULE_EVENTS} | {"skipped": 0}
    rules = rule_book()
    for source in SOURCES:
        for candidate in source(until):
            if _book(candidate, rules):
                counts[str(candidate.event)] += 1
            else:
                counts["skipped"] += 1
    booked = sum(n for key, n in counts.items() if key != "skipped")
    if booked:
        with transaction.atomic():
            audit.record(
                action="points.awarded",
                data={"counts": counts, "until": until.isoformat() if until else None},
            )
    return counts

"""A hand-built day of community work with known KPI answers (see the figures in EXPECTED_A).

Day D is 2026-03-10. Community A gets the records below; community C (same street) and B
(the other street) get a few more, so that sums across levels can be checked.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from evaluation.models.ratings import Rating
from reporting.models import Enrollment, PartyMember
from resources.models import Match, Need, Resource
from tests.factories import (
    NeedFactory,
    ProjectFactory,
    ResourceFactory,
    UserFactory,
    category,
    make_party_member,
    make_resident_unit,
    make_service_record,
)

D = date(2026, 3, 10)


def at(day_offset: int, hour: float) -> datetime:
    """A moment ``day_offset`` days from D at ``hour`` o'clock, local time."""
    base = timezone.make_aware(
        datetime.combine(D + timedelta(days=day_offset), datetime.min.time())
    )
    return base + timedelta(hours=hour)


def need(community, *, submitted, status="submitted", **fields) -> Need:
    fields.setdefault("due_at", submitted + timedelta(hours=24))
    return NeedFactory(community=community, submitted_at=submitted, status=status, **fields)


def enroll(community, *, member=None, unit=None, confirmed=True) -> Enrollment:
    return Enrollment.objects.create(
        member=member,
        unit=unit,
        community=community,
        year=D.year,
        status="confirmed" if confirmed else "pending",
        submitted_at=at(-40, 9),
        confirmed_at=at(-30, 9) if confirmed else None,
    )


def build_community_a(a) -> dict[str, object]:
    """The records of community A; returns the ones tests refer to."""
    disputes = category("neighbour_disputes")
    n1 = need(
        a,
        submitted=at(0, 9),
        status="accepted",
        accepted_at=at(0, 11),
        target_group="elderly_alone",
        requester_phone="13800000001",
    )
    # Answered a day late: its outcome (late) fell on D-1, its response time (50 h) on D.
    need(a, submitted=at(-2, 8), status="accepted", accepted_at=at(0, 10))
    # Rejected inside the clock: an answer, but not an acceptance (counts as not responded).
    need(a, submitted=at(0, 10), status="rejected", closed_at=at(0, 12), close_reason="重复")
    # Clock ran out on D without an answer.
    need(
        a,
        submitted=at(-1, 7),
        target_group="disabled",
        requester_phone="13800000002",
    )
    need(
        a,
        submitted=at(0, 8),
        status="evaluated",
        accepted_at=at(0, 8.5),
        started_at=at(0, 9),
        resolved_at=at(0, 15),
        evaluated_at=at(0, 16),
        rating=5,
        target_group="elderly_alone",
        requester_phone="13800000001",
    )
    need(
        a,
        submitted=at(-5, 9),
        status="evaluated",
        accepted_at=at(-5, 10),
        resolved_at=at(-1, 9),
        evaluated_at=at(0, 9),
        rating=3,
    )
    need(
        a,
        submitted=at(0, 9),
        status="merged",
        closed_at=at(0, 9.5),
        close_reason="重复",
        merged_into=n1,
        target_group="elderly_alone",
        requester_phone="13800000003",
    )
    need(
        a,
        submitted=at(-10, 9),
        status="resolved",
        category=disputes,
        accepted_at=at(-10, 10),
        resolved_at=at(0, 14),
    )
    need(
        a,
        submitted=at(-10, 9),
        status="rejected",
        category=disputes,
        accepted_at=at(-10, 10),
        closed_at=at(0, 14),
        close_reason="调解不成",
    )

    unit1 = make_resident_unit(a, name="一号单位")
    unit2 = make_resident_unit(a, name="二号单位")
    enroll(a, unit=unit1)
    enroll(a, unit=unit2)
    r1 = ResourceFactory(area=a, provider_unit=unit1)
    r2 = ResourceFactory(area=a)
    ResourceFactory(area=a)
    ResourceFactory(area=a, status=Resource.Status.RETIRED)
    project = ProjectFactory(
        area=a, owner=UserFactory(), status="in_progress", started_at=at(-5, 9)
    )
    project.resources.add(r1)
    Rating.objects.create(
        project=project, community=a, stars=4, rater_key=f"need:{n1.pk}", created_at=at(0, 15)
    )

    r_other = ResourceFactory(area=a, status=Resource.Status.RETIRED)
    Match.objects.create(
        need=n1,
        resource=r2,
        score=500,
        status="accepted",
        proposed_at=at(0, 9.2),
        decided_at=at(0, 12),
    )
    Match.objects.create(
        need=n1, resource=r_other, score=400, status="rejected", proposed_at=at(0, 9.2),
        decided_at=at(0, 12), reject_reason="太远",
    )  # fmt: skip

    m1 = make_party_member(a)
    m2 = make_party_member(a)
    make_party_member(a)  # registered, not enrolled
    enroll(a, member=m1)
    enroll(a, member=m2)
    make_service_record(m1, hours="2", day=D - timedelta(days=3))
    make_service_record(m1, hours="3", day=D)
    voided = make_service_record(m2, hours="2", day=D - timedelta(days=3))
    make_service_record(m2, hours="-2", day=D - timedelta(days=3), corrects=voided)
    backdate_registrations()
    return {"n1": n1, "m1": m1, "m2": m2}


def backdate_registrations() -> None:
    """Members and resources were registered long before D (the factories stamp "now")."""
    PartyMember.objects.update(created_at=at(-60, 9))
    Resource.objects.update(created_at=at(-60, 9))


# (numerator, denominator, value) of community A on D.
EXPECTED_A = {
    "need_response_rate": (2, 4, Decimal("50.0")),
    "need_response_time": (Decimal("52.5"), 3, Decimal("2.5")),
    "closed_loop_rate": (1, 3, Decimal("33.3")),
    "resident_satisfaction": (2, 3, Decimal("66.7")),
    "member_enrollment_rate": (2, 3, Decimal("66.7")),
    "member_participation": (1, 2, Decimal("50.0")),
    "unit_docking_rate": (1, 2, Decimal("50.0")),
    "resource_utilisation": (2, 3, Decimal("66.7")),
    "matching_coverage": (1, 3, Decimal("33.3")),
    "matching_accuracy": (1, 2, Decimal("50.0")),
    "special_group_coverage": (1, 2, Decimal("50.0")),
    "dispute_mediation_success": (1, 2, Decimal("50.0")),
    "volunteer_hours": (3, 2, Decimal("1.50")),
}


def build_other_communities(b, c) -> None:
    """A little of everything elsewhere, so sums across areas are not trivial."""
    need(c, submitted=at(0, 9), status="accepted", accepted_at=at(0, 20))  # 11 h, in time
    need(c, submitted=at(-1, 6), status="accepted", accepted_at=at(0, 9))  # 27 h, late on D-1
    need(c, submitted=at(0, 7), status="evaluated", accepted_at=at(0, 7.25), resolved_at=at(0, 9), evaluated_at=at(0, 10), rating=4)  # fmt: skip
    need(b, submitted=at(-1, 1), status="submitted")  # clock runs out on D at 1:00
    need(b, submitted=at(0, 9), status="accepted", accepted_at=at(0, 9.5), target_group="children", requester_phone="13900000009")  # fmt: skip
    member_c = make_party_member(c)
    enroll(c, member=member_c)
    make_service_record(member_c, hours="4", day=D)
    member_b = make_party_member(b)
    enroll(b, member=member_b, confirmed=False)
    backdate_registrations()

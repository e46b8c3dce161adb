"""A hand-built year (2026) of one street's work with known evaluation answers.

Street 1 holds communities A and C; street 2 holds B. With the default scheme (weights
20/40/25/15, pass mark 60, red: top 3, black: bottom 1):

=======  =========================================================  ==========
subject  records of 2026                                             computed
=======  =========================================================  ==========
m1 (A)   12 h in March and April; provides r1, which served an       89.25
         elderly resident's need (resolved, rated 5★); owns a
         completed project; enrolled 2025 and 2026
m2 (A)   6 h in May; enrolled 2026                                   25.46
m3 (C)   nothing but the 2026 enrollment                             21.50
u1 (A)   provides r2, which served a general need in January         67.13
m4 (B)   street 2: another cohort
m5 (A)   enrollment still pending: not evaluated
=======  =========================================================  ==========

m1: input–output 100, satisfaction 100, social benefit 100, sustainability mean(2/12, 2/5)
= mean(16.67, 40.00) = 28.34 → (2000 + 4000 + 2500 + 28.34 × 15) / 100 = 89.25.
m2: hours 6/12 → 50, so input–output 16.67; no rating → 50; social 0; sustainability
mean(8.33, 20) = 14.17 → (333.4 + 2000 + 212.55) / 100 = 25.46.
m3: satisfaction 50, sustainability mean(0, 20) = 10 → (2000 + 150) / 100 = 21.50.
u1 (alone among units, so projects and special-group needs, which it has none of, are left
out): input–output 100, satisfaction 50, social benefit 100, sustainability mean(1/12, 1/5)
= 14.17 → (2000 + 2000 + 2500 + 212.55) / 100 = 67.13.
Nobody served in an activity (the records have none), so that indicator is left out too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from reporting.models import Enrollment, PartyMember, ResidentUnit
from resources.models import Match, Need, Project, Resource, TargetGroup
from tests.factories import (
    NeedFactory,
    ProjectFactory,
    ResourceFactory,
    make_party_member,
    make_resident_unit,
    make_service_record,
)

YEAR = 2026


def at(month: int, day: int = 10, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(YEAR, month, day, hour))


def enroll(community, *, member=None, unit=None, year=YEAR, status="confirmed") -> Enrollment:
    submitted = timezone.make_aware(datetime(year, 1, 5, 9))
    return Enrollment.objects.create(
        member=member,
        unit=unit,
        community=community,
        year=year,
        status=status,
        submitted_at=submitted,
        confirmed_at=submitted + timedelta(days=1) if status != "pending" else None,
    )


def served_need(
    community, resource: Resource, *, resolved: datetime, rating: int | None = None, **fields
) -> Need:
    """A need served through ``resource`` (accepted match) and resolved at ``resolved``."""
    submitted = resolved - timedelta(days=5)
    need = NeedFactory(
        community=community,
        submitted_at=submitted,
        due_at=submitted + timedelta(hours=24),
        accepted_at=submitted + timedelta(hours=2),
        resolved_at=resolved,
        status=Need.Status.EVALUATED if rating else Need.Status.RESOLVED,
        rating=rating,
        evaluated_at=resolved + timedelta(days=1) if rating else None,
        **fields,
    )
    Match.objects.create(
        need=need,
        resource=resource,
        score=800,
        proposed_at=submitted + timedelta(hours=3),
        status=Match.Status.ACCEPTED,
        decided_at=submitted + timedelta(hours=4),
    )
    return need


@dataclass
class World:
    m1: PartyMember
    m2: PartyMember
    m3: PartyMember
    m4: PartyMember
    m5: PartyMember
    u1: ResidentUnit
    project: Project


def build(tree) -> World:
    a, b, c = tree["a"], tree["b"], tree["c"]
    m1 = make_party_member(a, real_name="王一")
    m2 = make_party_member(a, real_name="李二")
    m3 = make_party_member(c, real_name="张三")
    m4 = make_party_member(b, real_name="赵四")
    m5 = make_party_member(a, real_name="钱五")
    u1 = make_resident_unit(a, name="区图书馆")
    for subject in (m1, m2, m4):
        enroll(subject.home_community, member=subject)
    enroll(c, member=m3)
    enroll(a, member=m1, year=YEAR - 1)
    enroll(a, member=m5, status="pending")
    enroll(a, unit=u1)

    make_service_record(m1, hours="10", day=date(YEAR, 3, 14))
    make_service_record(m1, hours="2", day=date(YEAR, 4, 2))
    make_service_record(m2, hours="6", day=date(YEAR, 5, 20))
    make_service_record(m4, hours="9", day=date(YEAR, 5, 20))
    make_service_record(m1, hours="30", day=date(YEAR - 1, 12, 30))  # last year: not counted

    r1 = ResourceFactory(area=a, provider_type=Resource.ProviderType.MEMBER, provider_member=m1)
    served_need(a, r1, resolved=at(6), rating=5, target_group=TargetGroup.ELDERLY_ALONE)
    r2 = ResourceFactory(area=a, provider_unit=u1)
    served_need(a, r2, resolved=at(1, 20))

    project = ProjectFactory(
        area=a,
        owner=m1.user,
        status=Project.Status.COMPLETED,
        approved_at=at(2),
        started_at=at(2),
        completed_at=at(9),
    )
    return World(m1=m1, m2=m2, m3=m3, m4=m4, m5=m5, u1=u1, project=project)


EXPECTED = {
    "m1": Decimal("89.25"),
    "m2": Decimal("25.46"),
    "m3": Decimal("21.50"),
    "u1": Decimal("67.13"),
}

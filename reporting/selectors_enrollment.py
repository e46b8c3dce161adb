"""Reads of enrollments (报到): scoped for staff, by ownership for members and unit admins."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone

from portal.access import Action, reach, scope
from portal.models import Area, User
from reporting.models import Enrollment, EnrollmentStatus, PartyMember, ResidentUnit
from resources.models import AvailabilitySlot, NeedCategory, ResourceKind

ENROLLED = [EnrollmentStatus.CONFIRMED, EnrollmentStatus.ACTIVE]


def _with_related(qs: QuerySet[Enrollment]) -> QuerySet[Enrollment]:
    return qs.select_related("member__user", "unit__contact", "community", "community__parent")


def enrollments_for(user: User, action: str = Action.ENROLLMENT_VIEW) -> QuerySet[Enrollment]:
    """Enrollments of the communities in the user's reach for ``action``."""
    return scope(_with_related(Enrollment.objects.all()), user, action)


def get_enrollment(*, user: User, pk: int, action: str = Action.ENROLLMENT_VIEW) -> Enrollment:
    """One enrollment in reach; 404 otherwise, so ids of other areas reveal nothing."""
    return get_object_or_404(enrollments_for(user, action), pk=pk)


def member_of(user: User) -> PartyMember | None:
    """The user's own party-member record, if they are registered as one."""
    if user is None or not user.is_authenticated:
        return None
    return PartyMember.objects.filter(user=user).select_related("home_community").first()


def administered_units(user: User) -> QuerySet[ResidentUnit]:
    """Units the user acts for: those whose contact person they are.

    The unit_admin role is assigned per community, so it cannot tell one unit of a community
    from another; it opens the unit pages, but acting for a unit needs being its contact.
    """
    if user is None or not user.is_authenticated:
        return ResidentUnit.objects.none()
    return ResidentUnit.objects.filter(contact=user).select_related("community").order_by("name")


def own_enrollments(user: User) -> QuerySet[Enrollment]:
    """The user's own enrollments and those of the units they act for, newest year first."""
    if user is None or not user.is_authenticated:
        return Enrollment.objects.none()
    units = administered_units(user).values("pk")
    return _with_related(
        Enrollment.objects.filter(Q(member__user=user) | Q(unit__in=units))
    ).order_by("-year", "-submitted_at", "-id")


def get_own_enrollment(*, user: User, pk: int) -> Enrollment:
    """One of the user's own enrollments; 404 for anyone else's."""
    return get_object_or_404(own_enrollments(user), pk=pk)


def is_subject(enrollment: Enrollment, user: User) -> bool:
    """Is ``user`` the member who enrolled, or someone who acts for the enrolled unit?"""
    if user is None or not user.is_authenticated:
        return False
    if enrollment.member_id:
        return enrollment.member.user_id == user.pk
    return administered_units(user).filter(pk=enrollment.unit_id).exists()


@dataclass(frozen=True)
class EnrollmentOverview:
    year: int
    members_enrolled: int
    members_registered: int
    units_enrolled: int
    units_registered: int
    pending: int

    @staticmethod
    def _rate(part: int, whole: int) -> int | None:
        return round(100 * part / whole) if whole else None

    @property
    def member_rate(self) -> int | None:
        return self._rate(self.members_enrolled, self.members_registered)

    @property
    def unit_rate(self) -> int | None:
        return self._rate(self.units_enrolled, self.units_registered)


def _count(qs: QuerySet) -> Subquery:
    # An uncorrelated scalar COUNT(*), so that several counts come back in one query.
    counted = qs.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Subquery(counted, output_field=IntegerField())


def enrollment_overview(*, user: User, year: int | None = None) -> EnrollmentOverview | None:
    """This year's enrollment at a glance for the dashboard, in one query; None without reach.

    Enrolled = registered members (units) of the user's areas with a confirmed or active
    enrollment this year, wherever they enrolled; pending = enrollments awaiting a decision in
    the user's communities.
    """
    paths = reach(user, Action.ENROLLMENT_VIEW)
    if not paths:
        return None
    year = year or timezone.localdate().year
    enrolled = Enrollment.objects.filter(year=year, status__in=ENROLLED)
    member_enrolled = Exists(enrolled.filter(member=OuterRef("pk")))
    unit_enrolled = Exists(enrolled.filter(unit=OuterRef("pk")))
    members = scope(PartyMember.objects.all(), user, Action.ROSTER_VIEW)
    units = scope(ResidentUnit.objects.all(), user, Action.ROSTER_VIEW)
    pending = scope(Enrollment.objects.all(), user, Action.ENROLLMENT_VIEW).filter(
        year=year, status=EnrollmentStatus.PENDING
    )
    counts = (
        Area.objects.filter(path=paths[0])
        .annotate(
            members_registered=_count(members),
            members_enrolled=_count(members.filter(member_enrolled)),
            units_registered=_count(units),
            units_enrolled=_count(units.filter(unit_enrolled)),
            pending=_count(pending),
        )
        .values(
            "members_registered",
            "members_enrolled",
            "units_registered",
            "units_enrolled",
            "pending",
        )
        .get()
    )
    return EnrollmentOverview(year=year, **counts)


@dataclass(frozen=True)
class AgreementLine:
    name: str
    kind: str
    categories: list[str]
    capacity: int


@dataclass(frozen=True)
class EnrollmentDescription:
    categories: list[str]
    skills: str
    times: list[str]
    agreement: list[AgreementLine]


def describe_enrollment(enrollment: Enrollment) -> EnrollmentDescription:
    """Intentions and agreement with codes turned into labels (one query for the categories)."""
    intentions = enrollment.intentions or {}
    agreement = enrollment.agreement or []
    codes = set(intentions.get("categories") or [])
    for item in agreement:
        codes |= set(item.get("categories") or [])
    names = dict(NeedCategory.objects.filter(code__in=codes).values_list("code", "name"))
    slots = dict(AvailabilitySlot.choices)
    kinds = dict(ResourceKind.choices)
    return EnrollmentDescription(
        categories=[names.get(c, c) for c in intentions.get("categories") or []],
        skills=intentions.get("skills") or "",
        times=[str(slots.get(t, t)) for t in intentions.get("times") or []],
        agreement=[
            AgreementLine(
                name=item.get("name", ""),
                kind=str(kinds.get(item.get("kind"), item.get("kind", ""))),
                categories=[names.get(c, c) for c in item.get("categories") or []],
                capacity=item.get("capacity", 1),
            )
            for item in agreement
        ],
    )

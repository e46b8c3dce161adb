"""Enrollment (报到) services: submission, the state machine, the agreement's resources."""

from __future__ import annotations

import itertools
import threading

import pytest
from django.db import connection
from django.utils import timezone

from portal.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from portal.models import AuditEvent, Role
from reporting.models import Enrollment, PartyMember, ResidentUnit, uscc_check_character
from reporting.selectors_enrollment import enrollment_overview
from reporting.services.enrollment import (
    activate_enrollment,
    allowed_enrollment_actions,
    confirm_enrollment,
    return_enrollment,
    submit_enrollment,
    withdraw_enrollment,
)
from resources.models import Resource
from tests.factories import UserFactory, category, user_with_role

YEAR = timezone.localdate().year
_unit_numbers = itertools.count(1)


def credit_code() -> str:
    first17 = f"91110000{next(_unit_numbers):09d}"
    return first17 + uscc_check_character(first17)


def make_member(community, **user_kwargs) -> PartyMember:
    user = user_with_role(Role.MEMBER, community, **user_kwargs)
    return PartyMember.objects.create(
        user=user, party_organisation="第一党支部", home_community=community
    )


def make_unit(community, contact=None, name="区图书馆") -> ResidentUnit:
    if contact is None:
        contact = user_with_role(Role.UNIT_ADMIN, community)
    return ResidentUnit.objects.create(
        name=name,
        unit_type=ResidentUnit.UnitType.SCHOOL,
        credit_code=credit_code(),
        address="幸福路 1 号",
        community=community,
        contact=contact,
    )


def intentions(**overrides):
    category("elderly_care")
    return {"categories": ["elderly_care"], "skills": "first aid", "times": []} | overrides


def agreement():
    category("culture_sports")
    return [
        {"name": "Reading room", "kind": "venue", "categories": ["culture_sports"], "capacity": 30},
        {"name": "Teachers", "kind": "volunteer_team", "categories": ["elderly_care"]},
    ]


@pytest.fixture
def member(tree):
    return make_member(tree["a"], username="member_a")


@pytest.fixture
def unit(tree):
    return make_unit(tree["a"])


def enrol_member(member, community=None, **kwargs):
    return submit_enrollment(
        by=member.user,
        community=community or member.home_community,
        year=kwargs.pop("year", YEAR),
        intentions=kwargs.pop("intentions", intentions()),
        **kwargs,
    )


def enrol_unit(unit, by=None):
    return submit_enrollment(
        by=by or unit.contact,
        community=unit.community,
        year=YEAR,
        intentions=intentions(),
        agreement=agreement(),
        unit=unit,
    )


# --- submission ---------------------------------------------------------------------------------


def test_member_enrols_with_their_home_community(member):
    enrollment = enrol_member(member, intentions=intentions(times=["weekend_morning"]))
    assert enrollment.status == Enrollment.Status.PENDING
    assert enrollment.member == member and enrollment.unit is None
    assert enrollment.intentions == {
        "categories": ["elderly_care"],
        "skills": "first aid",
        "times": ["weekend_morning"],
    }
    event = AuditEvent.objects.get(action="enrollment.submitted")
    assert event.object_id == str(enrollment.pk) and event.area == member.home_community


def test_member_may_enrol_in_another_community(member, tree):
    enrollment = enrol_member(member, community=tree["b"])
    assert enrollment.community == tree["b"]


def test_user_without_member_record_cannot_enrol_themself(tree):
    user = user_with_role(Role.MEMBER, tree["a"])
    with pytest.raises(PermissionDenied):
        submit_enrollment(by=user, community=tree["a"], year=YEAR, intentions=intentions())


def test_enrollment_needs_a_community_not_a_street(member, tree):
    with pytest.raises(InvalidInput) as exc:
        enrol_member(member, community=tree["street1"])
    assert exc.value.field == "community"


def test_enrollment_year_is_this_or_next(member):
    enrol_member(member, year=YEAR + 1)
    with pytest.raises(InvalidInput) as exc:
        enrol_member(member, year=YEAR - 1)
    assert exc.value.field == "year"


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"categories": []}, "categories"),
        ({"categories": ["no_such_category"]}, "categories"),
        ({"times": ["midnight"]}, "times"),
        ({"skills": "x" * 501}, "skills"),
    ],
)
def test_invalid_intentions_are_refused(member, bad, field):
    with pytest.raises(InvalidInput) as exc:
        enrol_member(member, intentions=intentions(**bad))
    assert exc.value.field == field
    assert not Enrollment.objects.exists()


def test_member_cannot_sign_an_agreement(member):
    with pytest.raises(InvalidInput) as exc:
        enrol_member(member, agreement=agreement())
    assert exc.value.field == "agreement"


def test_unit_contact_enrols_the_unit_with_an_agreement(unit):
    enrollment = enrol_unit(unit)
    assert enrollment.unit == unit and enrollment.member is None
    assert enrollment.agreement[0] == {
        "name": "Reading room",
        "kind": "venue",
        "categories": ["culture_sports"],
        "capacity": 30,
    }
    assert enrollment.agreement[1]["capacity"] == 1


def test_another_units_admin_in_the_same_community_cannot_enrol_or_withdraw_a_unit(tree):
    unit = make_unit(tree["a"], contact=UserFactory())
    other_contact = user_with_role(Role.UNIT_ADMIN, tree["a"])
    make_unit(tree["a"], contact=other_contact)
    with pytest.raises(PermissionDenied):
        enrol_unit(unit, by=other_contact)
    enrollment = enrol_unit(unit, by=unit.contact)
    with pytest.raises(PermissionDenied):
        withdraw_enrollment(enrollment=enrollment, by=other_contact)


def test_others_cannot_enrol_a_unit(unit, tree, worker):
    admin_b = user_with_role(Role.UNIT_ADMIN, tree["b"])
    for user in (admin_b, worker):
        with pytest.raises(PermissionDenied):
            enrol_unit(unit, by=user)


@pytest.mark.parametrize(
    "line",
    [
        {"name": "", "kind": "venue", "categories": ["elderly_care"]},
        {"name": "Hall", "kind": "spaceship", "categories": ["elderly_care"]},
        {"name": "Hall", "kind": "venue", "categories": []},
        {"name": "Hall", "kind": "venue", "categories": ["elderly_care"], "capacity": 0},
    ],
)
def test_invalid_agreement_lines_are_refused(unit, line):
    with pytest.raises(InvalidInput) as exc:
        submit_enrollment(
            by=unit.contact,
            community=unit.community,
            year=YEAR,
            intentions=intentions(),
            agreement=[line],
            unit=unit,
        )
    assert exc.value.field == "agreement"


def test_unit_needs_at_least_one_agreement_line(unit):
    with pytest.raises(InvalidInput):
        submit_enrollment(
            by=unit.contact, community=unit.community, year=YEAR, intentions=intentions(), unit=unit
        )


def test_second_live_enrollment_in_a_year_is_a_conflict(member, tree):
    enrol_member(member)
    with pytest.raises(Conflict) as exc:
        enrol_member(member, community=tree["b"])
    assert str(YEAR) in str(exc.value.message)
    assert Enrollment.objects.count() == 1


def test_second_live_unit_enrollment_is_a_conflict(unit):
    enrol_unit(unit)
    with pytest.raises(Conflict):
        enrol_unit(unit)


@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_once_give_one_enrollment_and_a_conflict(tree):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://...): SQLite serialises writes")
    member = make_member(tree["a"], username="double_tap")
    category("elderly_care")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def submit(community):
        try:
            barrier.wait(timeout=10)
            enrol_member(member, community=community)
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(tree[key],)) for key in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "ok"]
    assert Enrollment.objects.filter(member=member).count() == 1


def test_returned_enrollment_may_be_submitted_again(member, worker):
    first = enrol_member(member)
    return_enrollment(enrollment=first, by=worker, reason="Please add your skills.")
    second = enrol_member(member)
    assert second.pk != first.pk and second.status == Enrollment.Status.PENDING


def test_withdrawn_enrollment_may_be_submitted_again(member):
    withdraw_enrollment(enrollment=enrol_member(member), by=member.user)
    assert enrol_member(member).status == Enrollment.Status.PENDING


# --- transitions --------------------------------------------------------------------------------


def test_worker_confirms_then_activates(member, worker):
    enrollment = enrol_member(member)
    confirmed = confirm_enrollment(enrollment=enrollment, by=worker)
    assert (
        confirmed.status == "confirmed"
        and confirmed.confirmed_at
        and confirmed.decided_by == worker
    )
    active = activate_enrollment(enrollment=enrollment, by=worker)
    assert active.status == "active" and active.activated_at
    actions = list(
        AuditEvent.objects.filter(object_id=str(enrollment.pk)).values_list("action", flat=True)
    )
    assert actions == ["enrollment.submitted", "enrollment.confirm", "enrollment.activate"]


def test_confirming_a_member_creates_no_resources(member, worker):
    confirm_enrollment(enrollment=enrol_member(member), by=worker)
    assert not Resource.objects.exists()


def test_confirming_a_unit_turns_its_agreement_into_resources(unit, worker):
    enrollment = enrol_unit(unit)
    confirm_enrollment(enrollment=enrollment, by=worker)
    resources = Resource.objects.order_by("name")
    assert [r.name for r in resources] == ["Reading room", "Teachers"]
    room = resources[0]
    assert room.provider_type == "unit" and room.provider_name == unit.name
    assert room.area == unit.community and room.capacity == 30 and room.kind == "venue"
    assert [c.code for c in room.categories.all()] == ["culture_sports"]
    assert AuditEvent.objects.filter(action="resource.created").count() == 2
    event = AuditEvent.objects.get(action="enrollment.confirm")
    assert sorted(event.data["resources"]) == sorted(r.pk for r in resources)


def test_return_needs_a_reason_and_stores_it(member, worker):
    enrollment = enrol_member(member)
    with pytest.raises(InvalidInput) as exc:
        return_enrollment(enrollment=enrollment, by=worker, reason="  ")
    assert exc.value.field == "reason"
    returned = return_enrollment(enrollment=enrollment, by=worker, reason="Wrong community.")
    assert returned.status == "returned" and returned.return_reason == "Wrong community."
    assert AuditEvent.objects.get(action="enrollment.return").data["note"] == "Wrong community."


@pytest.mark.parametrize("start", ["pending", "confirmed", "active"])
def test_member_withdraws_a_live_enrollment_without_a_reason(member, worker, start):
    enrollment = enrol_member(member)
    if start in ("confirmed", "active"):
        confirm_enrollment(enrollment=enrollment, by=worker)
    if start == "active":
        activate_enrollment(enrollment=enrollment, by=worker)
    withdrawn = withdraw_enrollment(enrollment=enrollment, by=member.user)
    assert withdrawn.status == "withdrawn" and withdrawn.withdrawn_at
    assert AuditEvent.objects.get(action="enrollment.withdraw").data["by_subject"] is True


def test_worker_withdraws_with_a_reason(member, worker):
    enrollment = enrol_member(member)
    with pytest.raises(InvalidInput):
        withdraw_enrollment(enrollment=enrollment, by=worker)
    assert withdraw_enrollment(enrollment=enrollment, by=worker, reason="Moved away").status == (
        "withdrawn"
    )


def test_unit_contact_withdraws_the_units_enrollment(unit):
    enrollment = enrol_unit(unit)
    assert withdraw_enrollment(enrollment=enrollment, by=unit.contact).status == "withdrawn"


def test_someone_else_cannot_withdraw(member, tree):
    other = make_member(tree["a"])
    with pytest.raises(PermissionDenied):
        withdraw_enrollment(enrollment=enrol_member(member), by=other.user, reason="no")


def _in_state(member, worker, status):
    enrollment = enrol_member(member)
    if status == "returned":
        return return_enrollment(enrollment=enrollment, by=worker, reason="r")
    if status in ("confirmed", "active", "withdrawn"):
        enrollment = confirm_enrollment(enrollment=enrollment, by=worker)
    if status == "active":
        enrollment = activate_enrollment(enrollment=enrollment, by=worker)
    if status == "withdrawn":
        enrollment = withdraw_enrollment(enrollment=enrollment, by=worker, reason="r")
    return enrollment


MOVES = {
    "confirm": lambda e, w: confirm_enrollment(enrollment=e, by=w),
    "return": lambda e, w: return_enrollment(enrollment=e, by=w, reason="r"),
    "activate": lambda e, w: activate_enrollment(enrollment=e, by=w),
    "withdraw": lambda e, w: withdraw_enrollment(enrollment=e, by=w, reason="r"),
}
LEGAL = {
    ("pending", "confirm"),
    ("pending", "return"),
    ("pending", "withdraw"),
    ("confirmed", "activate"),
    ("confirmed", "withdraw"),
    ("active", "withdraw"),
}


@pytest.mark.parametrize("status", ["pending", "confirmed", "active", "returned", "withdrawn"])
@pytest.mark.parametrize("move", list(MOVES))
def test_every_move_from_every_state(member, worker, status, move):
    enrollment = _in_state(member, worker, status)
    assert enrollment.status == status
    if (status, move) in LEGAL:
        assert MOVES[move](enrollment, worker).status != status
    else:
        with pytest.raises(IllegalTransition):
            MOVES[move](enrollment, worker)
        enrollment.refresh_from_db()
        assert enrollment.status == status


def test_illegal_move_writes_nothing(unit, worker):
    enrollment = enrol_unit(unit)
    confirm_enrollment(enrollment=enrollment, by=worker)
    events = AuditEvent.objects.count()
    with pytest.raises(IllegalTransition):
        confirm_enrollment(enrollment=enrollment, by=worker)
    assert Resource.objects.count() == 2 and AuditEvent.objects.count() == events


@pytest.mark.parametrize("who", ["worker_b", "street_officer", "member"])
def test_only_the_communitys_deciders_decide(member, who, request):
    enrollment = enrol_member(member)
    user = member.user if who == "member" else request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        confirm_enrollment(enrollment=enrollment, by=user)
    with pytest.raises(PermissionDenied):
        return_enrollment(enrollment=enrollment, by=user, reason="r")
    assert allowed_enrollment_actions(enrollment, user) == []


def test_allowed_actions_follow_the_state(member, worker):
    enrollment = enrol_member(member)
    assert [name for name, _ in allowed_enrollment_actions(enrollment, worker)] == [
        "confirm",
        "return",
        "withdraw",
    ]


# --- the dashboard overview ---------------------------------------------------------------------


def test_overview_counts_enrolled_registered_and_pending(member, unit, tree, worker):
    make_member(tree["a"])  # registered, not enrolled
    make_member(tree["b"])  # outside the worker's reach
    confirm_enrollment(enrollment=enrol_member(member), by=worker)
    enrol_unit(unit)  # pending
    overview = enrollment_overview(user=worker)
    assert (overview.members_enrolled, overview.members_registered) == (1, 2)
    assert (overview.units_enrolled, overview.units_registered) == (0, 1)
    assert overview.pending == 1
    assert overview.member_rate == 50


def test_overview_is_none_without_enrollment_reach(tree):
    grid_worker = user_with_role(Role.GRID_WORKER, tree["grid_a"])
    assert enrollment_overview(user=grid_worker) is None

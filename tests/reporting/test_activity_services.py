"""Activity services: create, edit, cancel; sign-up rules including capacity under concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from portal.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from portal.models import AuditEvent, Role
from reporting.models import Activity, Enrollment, PartyMember, Signup
from reporting.services.activities import (
    cancel_activity,
    cancel_signup,
    create_activity,
    sign_up,
    update_activity,
)
from tests.factories import NeedFactory, category, user_with_role

pytestmark = pytest.mark.django_db


# --- helpers shared with the page tests ---------------------------------------------------


def make_member(community, *, enrolled: bool = True, status: str = "confirmed", year=None, **kw):
    """A party member living in ``community``, enrolled there for ``year`` when asked."""
    user = user_with_role(Role.MEMBER, community, **kw)
    member = PartyMember.objects.create(
        user=user, party_organisation="Party branch", home_community=community
    )
    if enrolled:
        Enrollment.objects.create(
            member=member,
            community=community,
            year=year or timezone.localdate().year,
            status=status,
            submitted_at=timezone.now(),
        )
    return member


def make_activity(community, organiser, *, starts_in=timedelta(days=2), **fields) -> Activity:
    """An activity saved directly (the services are tested separately)."""
    starts_at = timezone.now() + starts_in
    values = {
        "title": "Clean the courtyard",
        "venue": "Courtyard",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=2),
        "capacity": 10,
    }
    values.update(fields)
    return Activity.objects.create(community=community, organiser=organiser, **values)


def activity_fields(**overrides):
    start = timezone.now() + timedelta(days=3)
    fields = {
        "title": "Read to children",
        "description": "Saturday morning at the library.",
        "venue": "Community library",
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "capacity": 5,
    }
    fields.update(overrides)
    return fields


# --- create / update / cancel -------------------------------------------------------------


def test_worker_creates_activity_with_themselves_as_organiser(tree, worker):
    activity = create_activity(by=worker, community=tree["a"], **activity_fields())
    assert activity.organiser == worker
    assert activity.status == Activity.Status.PUBLISHED
    assert not activity.has_geofence
    assert AuditEvent.objects.filter(action="activity.created", object_id=str(activity.pk)).exists()


def test_worker_cannot_create_activity_in_another_community(tree, worker):
    with pytest.raises(PermissionDenied):
        create_activity(by=worker, community=tree["b"], **activity_fields())


def test_member_cannot_create_activity(tree):
    member = make_member(tree["a"])
    with pytest.raises(PermissionDenied):
        create_activity(by=member.user, community=tree["a"], **activity_fields())


def test_activity_must_end_after_start(tree, worker):
    start = timezone.now() + timedelta(days=1)
    with pytest.raises(InvalidInput) as exc:
        create_activity(
            by=worker, community=tree["a"], **activity_fields(starts_at=start, ends_at=start)
        )
    assert exc.value.field == "ends_at"


def test_capacity_must_be_at_least_one(tree, worker):
    with pytest.raises(InvalidInput) as exc:
        create_activity(by=worker, community=tree["a"], **activity_fields(capacity=0))
    assert exc.value.field == "capacity"


def test_organiser_must_hold_a_role_in_the_community_or_above(tree, worker, worker_b):
    with pytest.raises(InvalidInput) as exc:
        create_activity(by=worker, community=tree["a"], organiser=worker_b, **activity_fields())
    assert exc.value.field == "organiser"
    street = user_with_role(Role.STREET_OFFICER, tree["street1"])
    activity = create_activity(
        by=worker, community=tree["a"], organiser=street, **activity_fields()
    )
    assert activity.organiser == street


def test_need_must_belong_to_the_same_community(tree, worker):
    other = NeedFactory(community=tree["b"], area=tree["b"])
    with pytest.raises(InvalidInput) as exc:
        create_activity(by=worker, community=tree["a"], need=other, **activity_fields())
    assert exc.value.field == "need"
    own = NeedFactory(community=tree["a"], area=tree["a"])
    activity = create_activity(
        by=worker, community=tree["a"], need=own, category=category(), **activity_fields()
    )
    assert activity.need == own


def test_geofence_centre_takes_the_default_radius(tree, worker):
    activity = create_activity(
        by=worker,
        community=tree["a"],
        **activity_fields(geofence_latitude="31.230416", geofence_longitude="121.473701"),
    )
    assert activity.geofence_radius_m == 500
    assert activity.geofence_latitude == Decimal("31.230416")


@pytest.mark.parametrize(
    ("geofence", "field"),
    [
        ({"geofence_latitude": "31.2"}, "geofence_longitude"),
        ({"geofence_longitude": "121.4"}, "geofence_latitude"),
        ({"geofence_radius_m": 300}, "geofence_latitude"),
        ({"geofence_latitude": "91", "geofence_longitude": "121.4"}, "geofence_latitude"),
        ({"geofence_latitude": "31.2", "geofence_longitude": "181"}, "geofence_longitude"),
        (
            {"geofence_latitude": "31.2", "geofence_longitude": "121.4", "geofence_radius_m": 0},
            "geofence_radius_m",
        ),
    ],
)
def test_geofence_is_all_or_nothing_and_in_range(tree, worker, geofence, field):
    with pytest.raises(InvalidInput) as exc:
        create_activity(by=worker, community=tree["a"], **activity_fields(**geofence))
    assert exc.value.field == field
    assert not Activity.objects.exists()


def test_update_records_what_changed(tree, worker):
    activity = make_activity(tree["a"], worker)
    update_activity(activity=activity, by=worker, title="Sweep the courtyard", capacity=12)
    activity.refresh_from_db()
    assert activity.title == "Sweep the courtyard"
    event = AuditEvent.objects.get(action="activity.updated", object_id=str(activity.pk))
    assert set(event.data) == {"title", "capacity"}


def test_capacity_cannot_drop_below_signups(tree, worker):
    activity = make_activity(tree["a"], worker, capacity=3)
    for n in range(2):
        sign_up(activity=activity, member=make_member(tree["a"], username=f"m{n}"))
    with pytest.raises(InvalidInput) as exc:
        update_activity(activity=activity, by=worker, capacity=1)
    assert exc.value.field == "capacity"


def test_cancel_needs_a_reason_and_releases_signups(tree, worker):
    activity = make_activity(tree["a"], worker)
    member = make_member(tree["a"])
    sign_up(activity=activity, member=member)
    with pytest.raises(InvalidInput):
        cancel_activity(activity=activity, by=worker, reason=" ")
    cancel_activity(activity=activity, by=worker, reason="Rain")
    activity.refresh_from_db()
    assert activity.status == Activity.Status.CANCELLED
    assert Signup.objects.get(member=member).status == Signup.Status.CANCELLED
    with pytest.raises(IllegalTransition):
        update_activity(activity=activity, by=worker, title="Again")


def test_worker_b_cannot_cancel_community_a_activity(tree, worker, worker_b):
    activity = make_activity(tree["a"], worker)
    with pytest.raises(PermissionDenied):
        cancel_activity(activity=activity, by=worker_b, reason="No")


# --- sign-up ------------------------------------------------------------------------------


def test_enrolled_member_signs_up(tree, worker):
    activity = make_activity(tree["a"], worker)
    member = make_member(tree["a"])
    signup = sign_up(activity=activity, member=member)
    assert signup.status == Signup.Status.ACTIVE
    assert AuditEvent.objects.filter(action="activity.signed_up", actor=member.user).exists()


@pytest.mark.parametrize("status", ["pending", "withdrawn"])
def test_member_without_confirmed_enrollment_cannot_sign_up(tree, worker, status, settings):
    settings.LANGUAGE_CODE = "en"  # the assertion reads the English msgid
    activity = make_activity(tree["a"], worker)
    member = make_member(tree["a"], status=status)
    with pytest.raises(InvalidInput, match="enrollment"):
        sign_up(activity=activity, member=member)


def test_enrollment_must_be_for_the_activitys_community_and_year(tree, worker):
    activity = make_activity(tree["a"], worker)
    in_b = make_member(tree["b"], username="in_b")
    last_year = make_member(tree["a"], year=timezone.localdate().year - 1, username="old")
    for member in (in_b, last_year):
        with pytest.raises(InvalidInput):
            sign_up(activity=activity, member=member)
    assert not Signup.objects.exists()


def test_member_cannot_sign_up_twice(tree, worker, settings):
    settings.LANGUAGE_CODE = "en"  # the assertion reads the English msgid
    activity = make_activity(tree["a"], worker)
    member = make_member(tree["a"])
    sign_up(activity=activity, member=member)
    with pytest.raises(Conflict, match="already signed up"):
        sign_up(activity=activity, member=member)
    assert Signup.objects.count() == 1


def test_capacity_is_enforced(tree, worker):
    activity = make_activity(tree["a"], worker, capacity=1)
    sign_up(activity=activity, member=make_member(tree["a"], username="first"))
    with pytest.raises(Conflict) as exc:
        sign_up(activity=activity, member=make_member(tree["a"], username="second"))
    assert exc.value.code == "full"


def test_cannot_sign_up_for_an_ended_or_cancelled_activity(tree, worker, settings):
    settings.LANGUAGE_CODE = "en"  # the assertion reads the English msgid
    member = make_member(tree["a"])
    ended = make_activity(tree["a"], worker, starts_in=-timedelta(hours=3))
    with pytest.raises(IllegalTransition, match="ended"):
        sign_up(activity=ended, member=member)
    cancelled = make_activity(tree["a"], worker, status="cancelled", cancel_reason="Rain")
    with pytest.raises(IllegalTransition, match="cancelled"):
        sign_up(activity=cancelled, member=member)


def test_member_cancels_own_place_and_can_sign_up_again(tree, worker):
    activity = make_activity(tree["a"], worker, capacity=1)
    member = make_member(tree["a"])
    sign_up(activity=activity, member=member)
    cancel_signup(activity=activity, member=member)
    assert Signup.objects.get().status == Signup.Status.CANCELLED
    sign_up(activity=activity, member=member)
    assert Signup.objects.filter(status=Signup.Status.ACTIVE).count() == 1


def test_cannot_cancel_a_place_after_the_start(tree, worker):
    activity = make_activity(tree["a"], worker, starts_in=-timedelta(minutes=30))
    member = make_member(tree["a"])
    sign_up(activity=activity, member=member)
    with pytest.raises(IllegalTransition):
        cancel_signup(activity=activity, member=member)


def test_cannot_cancel_a_place_one_does_not_hold(tree, worker):
    activity = make_activity(tree["a"], worker)
    with pytest.raises(Conflict):
        cancel_signup(activity=activity, member=make_member(tree["a"]))


# --- concurrency (PostgreSQL) -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_members_racing_for_the_last_place_get_one_signup(tree, worker):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://...): SQLite serialises writes")
    activity = make_activity(tree["a"], worker, capacity=1)
    members = [make_member(tree["a"], username=f"racer{n}") for n in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def race(member):
        try:
            barrier.wait(timeout=10)
            sign_up(activity=activity, member=member)
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=race, args=(m,)) for m in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["full", "ok"]
    assert Signup.objects.filter(activity=activity, status="active").count() == 1

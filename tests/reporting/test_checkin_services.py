"""Check-in rules: token, window, enrollment, duplicates, geofence, hours and organiser tools."""

import os
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from portal.errors import Conflict, IllegalTransition, InvalidInput, PermissionDenied
from portal.models import AuditEvent, Role
from reporting import tokens
from reporting.models import Activity, CheckIn, Enrollment, PartyMember, ServiceRecord
from reporting.services.checkin import (
    check_in,
    check_out,
    confirm_checkin,
    correct_checkin,
    grant_location_consent,
    proxy_checkin,
    revoke_location_consent,
    void_checkin,
)
from reporting.services.records import recorded_hours
from tests.factories import UserFactory, user_with_role

START = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")
VENUE = (Decimal("31.230400"), Decimal("121.473700"))


# --- helpers shared with the other check-in test modules --------------------------------------


def make_activity(community, *, starts_at=START, hours=2, geofence=False, **kwargs) -> Activity:
    organiser = kwargs.pop("organiser", None) or UserFactory()
    fence = {}
    if geofence:
        fence = {
            "geofence_latitude": VENUE[0],
            "geofence_longitude": VENUE[1],
            "geofence_radius_m": 500,
        }
    return Activity.objects.create(
        community=community,
        title=kwargs.pop("title", "Park clean-up"),
        venue=kwargs.pop("venue", "Community garden"),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        capacity=20,
        organiser=organiser,
        **fence,
        **kwargs,
    )


def make_member(community, *, enrolled=True, year=2026, status="confirmed", **user_kwargs):
    user = user_with_role(Role.MEMBER, community, **user_kwargs)
    member = PartyMember.objects.create(
        user=user, party_organisation="Party branch", home_community=community
    )
    if enrolled:
        Enrollment.objects.create(
            member=member, community=community, year=year, status=status, submitted_at=START
        )
    return member


def tap(activity, member, now, **kwargs):
    return check_in(
        activity=activity,
        member=member,
        token=tokens.token_for(activity, now),
        now=now,
        **kwargs,
    )


def leave(activity, member, now):
    return check_out(
        activity=activity, member=member, token=tokens.token_for(activity, now), now=now
    )


@pytest.fixture
def activity(tree):
    return make_activity(tree["a"])


@pytest.fixture
def member(tree):
    return make_member(tree["a"])


# --- check in ---------------------------------------------------------------------------------


def test_member_checks_in_with_a_fresh_token(activity, member):
    checkin = tap(activity, member, START)
    assert checkin.status == CheckIn.Status.OPEN
    assert checkin.method == CheckIn.Method.QR
    assert AuditEvent.objects.filter(action="checkin.created", object_id=str(checkin.pk)).exists()


def test_expired_token_is_refused(activity, member, settings):
    settings.LANGUAGE_CODE = "en"  # the assertion reads the English msgid
    token = tokens.token_for(activity, START - timedelta(minutes=2))
    with pytest.raises(InvalidInput) as exc:
        check_in(activity=activity, member=member, token=token, now=START)
    assert exc.value.code == "token_expired"
    assert "expired" in str(exc.value.message)


def test_forged_token_is_refused(activity, member):
    with pytest.raises(InvalidInput) as exc:
        check_in(activity=activity, member=member, token="1.forgedforgedfo", now=START)
    assert exc.value.code == "token_invalid"


def test_check_in_opens_thirty_minutes_before_start(activity, member):
    with pytest.raises(InvalidInput) as exc:
        tap(activity, member, START - timedelta(minutes=31))
    assert exc.value.code == "too_early"
    assert tap(activity, member, START - timedelta(minutes=30)).pk


def test_check_in_closes_at_the_end(activity, member):
    with pytest.raises(InvalidInput) as exc:
        tap(activity, member, activity.ends_at + timedelta(seconds=1))
    assert exc.value.code == "too_late"


def test_cancelled_activity_refuses_check_in(activity, member):
    activity.status = Activity.Status.CANCELLED
    activity.save()
    with pytest.raises(IllegalTransition):
        tap(activity, member, START)


def test_member_without_enrollment_cannot_check_in(tree, activity):
    stranger = make_member(tree["a"], enrolled=False)
    with pytest.raises(InvalidInput) as exc:
        tap(activity, stranger, START)
    assert exc.value.code == "not_enrolled"


def test_pending_enrollment_or_other_community_is_not_enough(tree, activity):
    pending = make_member(tree["a"], status="pending")
    elsewhere = make_member(tree["b"])
    last_year = make_member(tree["a"], year=2025)
    for who in (pending, elsewhere, last_year):
        with pytest.raises(InvalidInput):
            tap(activity, who, START)


def test_member_cannot_check_in_twice(activity, member):
    tap(activity, member, START)
    with pytest.raises(Conflict) as exc:
        tap(activity, member, START + timedelta(minutes=1))
    assert exc.value.code == "already_checked_in"
    assert CheckIn.objects.count() == 1


def test_retry_with_the_same_key_returns_the_same_check_in(activity, member):
    first = tap(activity, member, START, idempotency_key="k-1")
    # Even after the token expired, a retry of the same form gives the same row.
    again = tap(activity, member, START + timedelta(minutes=5), idempotency_key="k-1")
    again_stale = check_in(
        activity=activity, member=member, token="x", now=START, idempotency_key="k-1"
    )
    assert first.pk == again.pk == again_stale.pk
    assert CheckIn.objects.count() == 1


def test_key_of_another_member_is_refused(tree, activity, member):
    tap(activity, member, START, idempotency_key="k-1")
    other = make_member(tree["a"])
    with pytest.raises(Conflict):
        tap(activity, other, START, idempotency_key="k-1")


def test_daily_cap_refuses_check_in_when_reached(tree, member):
    morning = make_activity(tree["a"], hours=8)
    tap(morning, member, START)
    leave(morning, member, START + timedelta(hours=8))
    afternoon = make_activity(tree["a"], starts_at=START + timedelta(hours=8, minutes=30))
    with pytest.raises(InvalidInput) as exc:
        tap(afternoon, member, afternoon.starts_at)
    assert exc.value.code == "daily_cap"


# --- geofence ---------------------------------------------------------------------------------


def test_geofence_inside_with_consent_is_open_and_rounded(tree, member):
    activity = make_activity(tree["a"], geofence=True)
    grant_location_consent(user=member.user, now=START)
    checkin = tap(activity, member, START, latitude=31.23051234, longitude=121.47381234)
    assert checkin.status == CheckIn.Status.OPEN
    assert checkin.latitude == Decimal("31.2305")
    assert checkin.longitude == Decimal("121.4738")
    assert checkin.distance_m < 50
    assert checkin.flags == []


def test_geofence_outside_is_recorded_pending_with_the_distance(tree, member):
    activity = make_activity(tree["a"], geofence=True)
    grant_location_consent(user=member.user, now=START)
    checkin = tap(activity, member, START, latitude=31.2404, longitude=121.4737)
    assert checkin.status == CheckIn.Status.PENDING
    assert "outside_geofence" in checkin.flags
    assert 1000 < checkin.distance_m < 1200


def test_geofence_without_consent_is_pending_and_never_stores_location(tree, member):
    activity = make_activity(tree["a"], geofence=True)
    checkin = tap(activity, member, START, latitude=31.2304, longitude=121.4737)
    assert checkin.status == CheckIn.Status.PENDING
    assert checkin.flags == ["no_location_consent"]
    assert checkin.latitude is None and checkin.distance_m is None


def test_revoked_consent_counts_as_none(tree, member):
    activity = make_activity(tree["a"], geofence=True)
    grant_location_consent(user=member.user, now=START - timedelta(days=2))
    revoke_location_consent(user=member.user, now=START - timedelta(days=1))
    checkin = tap(activity, member, START, latitude=31.2304, longitude=121.4737)
    assert checkin.flags == ["no_location_consent"]
    assert AuditEvent.objects.filter(action="location_consent.revoked").count() == 1


def test_consent_but_no_position_is_pending(tree, member):
    activity = make_activity(tree["a"], geofence=True)
    grant_location_consent(user=member.user, now=START)
    checkin = tap(activity, member, START)
    assert checkin.status == CheckIn.Status.PENDING
    assert checkin.flags == ["no_location"]


def test_no_geofence_stores_no_location(activity, member):
    grant_location_consent(user=member.user, now=START)
    checkin = tap(activity, member, START, latitude=31.2304, longitude=121.4737)
    assert checkin.latitude is None


# --- check out and hours ----------------------------------------------------------------------


def test_check_out_records_hours(activity, member):
    tap(activity, member, START)
    checkin = leave(activity, member, START + timedelta(minutes=90))
    assert checkin.hours == Decimal("1.50")
    assert checkin.status == CheckIn.Status.PENDING
    assert "hours_capped" not in checkin.flags


def test_hours_are_capped_at_the_activity_length(activity, member):
    tap(activity, member, START - timedelta(minutes=30))
    checkin = leave(activity, member, activity.ends_at)
    assert checkin.hours == Decimal("2.00")
    assert "hours_capped" in checkin.flags


def test_hours_are_capped_by_the_daily_cap(tree, member):
    long_one = make_activity(tree["a"], hours=6)
    tap(long_one, member, START)
    leave(long_one, member, START + timedelta(hours=6))
    evening = make_activity(tree["a"], starts_at=START + timedelta(hours=7), hours=4)
    tap(evening, member, evening.starts_at)
    checkin = leave(evening, member, evening.ends_at)
    assert checkin.hours == Decimal("2.00")
    assert "hours_capped" in checkin.flags


def test_check_out_without_check_in_is_refused(activity, member):
    with pytest.raises(InvalidInput) as exc:
        leave(activity, member, START)
    assert exc.value.code == "not_checked_in"


def test_check_out_twice_is_refused(activity, member):
    tap(activity, member, START)
    leave(activity, member, START + timedelta(hours=1))
    with pytest.raises(Conflict):
        leave(activity, member, START + timedelta(hours=1, minutes=1))


def test_check_out_needs_a_fresh_token(activity, member):
    tap(activity, member, START)
    with pytest.raises(InvalidInput):
        check_out(
            activity=activity,
            member=member,
            token=tokens.token_for(activity, START),
            now=START + timedelta(hours=1),
        )


# --- organiser ------------------------------------------------------------------------------


@pytest.fixture
def served(activity, member):
    tap(activity, member, START)
    return leave(activity, member, START + timedelta(hours=1, minutes=30))


def test_confirm_creates_an_audited_service_record(served, worker):
    checkin = confirm_checkin(checkin=served, by=worker)
    assert checkin.status == CheckIn.Status.CONFIRMED
    record = ServiceRecord.objects.get(checkin=checkin)
    assert record.hours == Decimal("1.50")
    assert record.organisation == "Community A"
    assert record.place == "Community garden"
    assert record.confirmed_by == worker
    assert str(record.service_date) == "2026-06-01"
    assert AuditEvent.objects.filter(
        action="service_record.created", object_id=str(record.pk)
    ).exists()


def test_confirm_without_check_out_is_refused(activity, member, worker):
    checkin = tap(activity, member, START)
    with pytest.raises(InvalidInput):
        confirm_checkin(checkin=checkin, by=worker)


def test_worker_of_another_community_cannot_confirm(served, worker_b):
    with pytest.raises(PermissionDenied):
        confirm_checkin(checkin=served, by=worker_b)


def test_street_officer_oversees_but_cannot_confirm(served, street_officer):
    with pytest.raises(PermissionDenied):
        confirm_checkin(checkin=served, by=street_officer)


def test_confirming_twice_is_refused(served, worker):
    confirm_checkin(checkin=served, by=worker)
    with pytest.raises(IllegalTransition):
        confirm_checkin(checkin=served, by=worker)


def test_correction_needs_a_reason(served, worker):
    with pytest.raises(InvalidInput) as exc:
        correct_checkin(checkin=served, by=worker, reason=" ", hours=Decimal("1"))
    assert exc.value.field == "reason"


def test_correcting_a_confirmed_check_in_appends_a_record(served, worker):
    confirm_checkin(checkin=served, by=worker)
    original = ServiceRecord.objects.get()
    checkin = correct_checkin(checkin=served, by=worker, reason="Left early", hours=Decimal("1.00"))
    assert checkin.hours == Decimal("1.00")
    assert "corrected" in checkin.flags
    correction = ServiceRecord.objects.exclude(pk=original.pk).get()
    assert correction.corrects == original
    assert correction.hours == Decimal("-0.50")  # the difference
    assert correction.reason == "Left early"
    original.refresh_from_db()
    assert original.hours == Decimal("1.50")  # never changed
    assert recorded_hours(checkin) == Decimal("1.00")
    # A second correction references the latest record and again carries the difference.
    correct_checkin(checkin=served, by=worker, reason="Recounted", hours=Decimal("2.00"))
    latest = ServiceRecord.objects.order_by("-id").first()
    assert latest.corrects == correction and latest.hours == Decimal("1.00")
    assert recorded_hours(checkin) == Decimal("2.00")
    event = AuditEvent.objects.filter(action="service_record.corrected").order_by("seq").first()
    assert event.data["difference"] == "-0.50"
    assert AuditEvent.objects.filter(action="checkin.corrected").exists()


def test_correcting_times_recomputes_hours(activity, member, worker):
    checkin = tap(activity, member, START)
    checkin = correct_checkin(
        checkin=checkin,
        by=worker,
        reason="Forgot to check out",
        checked_out_at=START + timedelta(hours=1),
    )
    assert checkin.hours == Decimal("1.00")
    assert ServiceRecord.objects.count() == 0


def test_void_of_confirmed_appends_a_zero_record(served, worker):
    confirm_checkin(checkin=served, by=worker)
    checkin = void_checkin(checkin=served, by=worker, reason="Was not there")
    assert checkin.status == CheckIn.Status.VOIDED
    assert recorded_hours(checkin) == 0
    assert ServiceRecord.objects.order_by("-id").first().hours == Decimal("-1.50")
    with pytest.raises(IllegalTransition):
        void_checkin(checkin=checkin, by=worker, reason="again")


def test_void_needs_a_reason(served, worker):
    with pytest.raises(InvalidInput):
        void_checkin(checkin=served, by=worker, reason="")


def test_proxy_check_in_is_recorded_as_such(activity, member, worker):
    checkin = proxy_checkin(
        activity=activity,
        member=member,
        by=worker,
        checked_in_at=START,
        checked_out_at=START + timedelta(hours=1),
    )
    assert checkin.method == CheckIn.Method.PROXY
    assert checkin.flags == ["proxy"]
    assert checkin.created_by == worker
    assert checkin.hours == Decimal("1.00")
    with pytest.raises(Conflict):
        proxy_checkin(activity=activity, member=member, by=worker, checked_in_at=START)


def test_proxy_check_in_rules(tree, activity, worker, worker_b, member):
    with pytest.raises(PermissionDenied):
        proxy_checkin(activity=activity, member=member, by=worker_b, checked_in_at=START)
    with pytest.raises(InvalidInput) as exc:
        proxy_checkin(
            activity=activity, member=member, by=worker, checked_in_at=START - timedelta(hours=2)
        )
    assert exc.value.field == "checked_in_at"
    stranger = make_member(tree["a"], enrolled=False)
    with pytest.raises(InvalidInput) as exc:
        proxy_checkin(activity=activity, member=stranger, by=worker, checked_in_at=START)
    assert exc.value.field == "member"


# --- concurrency on PostgreSQL ----------------------------------------------------------------

on_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="needs PostgreSQL (set DATABASE_URL)",
)


@on_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_key", [False, True])
def test_concurrent_double_tap_gives_one_check_in(same_key):
    from tests.factories import make_tree

    tree = make_tree()
    activity = make_activity(tree["a"])
    member = make_member(tree["a"])
    barrier = threading.Barrier(2)
    results: list = []

    def attempt(n):
        try:
            barrier.wait()
            key = "same" if same_key else f"key-{n}"
            results.append(tap(activity, member, START, idempotency_key=key).pk)
        except Conflict as exc:
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert CheckIn.objects.filter(activity=activity, member=member).count() == 1
    pks = [r for r in results if isinstance(r, int)]
    if same_key:
        assert len(pks) == 2 and pks[0] == pks[1]
    else:
        assert len(pks) == 1 and isinstance([r for r in results if r not in pks][0], Conflict)


def test_a_correction_cannot_move_attendance_to_another_day(served, worker):
    confirm_checkin(checkin=served, by=worker)
    with pytest.raises(InvalidInput):
        correct_checkin(
            checkin=served, by=worker, reason="Wrong day", checked_in_at=START + timedelta(days=1)
        )
    assert ServiceRecord.objects.count() == 1


def test_a_correction_outside_the_check_in_window_is_refused(served, worker):
    with pytest.raises(InvalidInput):
        correct_checkin(
            checkin=served, by=worker, reason="Too early", checked_in_at=START - timedelta(hours=2)
        )


def test_a_void_after_a_correction_leaves_no_hours_on_any_day(served, worker):
    confirm_checkin(checkin=served, by=worker)
    correct_checkin(checkin=served, by=worker, reason="Recounted", hours=Decimal("1.00"))
    void_checkin(checkin=served, by=worker, reason="Not there")
    days = {r.service_date for r in ServiceRecord.objects.all()}
    assert days == {served.checked_in_at.astimezone(SHANGHAI).date()}
    assert recorded_hours(served) == Decimal("0.00")


def test_corrected_hours_cannot_exceed_the_activity_or_the_daily_cap(
    activity, member, worker, tree
):
    first = tap(activity, member, START)
    with pytest.raises(InvalidInput):
        correct_checkin(checkin=first, by=worker, reason="Generous", hours=Decimal("8.00"))
    other = make_activity(tree["a"], starts_at=START + timedelta(hours=3), hours=8)
    correct_checkin(checkin=first, by=worker, reason="Stayed", hours=Decimal("2.00"))
    second = tap(other, member, START + timedelta(hours=3))
    with pytest.raises(InvalidInput):
        correct_checkin(checkin=second, by=worker, reason="All day", hours=Decimal("7.00"))
    second = correct_checkin(checkin=second, by=worker, reason="Rest of day", hours=Decimal("6.00"))
    assert second.hours == Decimal("6.00")
    assert second.checked_out_at == second.checked_in_at + timedelta(hours=6)


def test_a_member_can_check_in_again_after_a_check_in_was_voided(activity, member, worker):
    first = tap(activity, member, START)
    void_checkin(checkin=first, by=worker, reason="Scanned by mistake for someone else")
    again = tap(activity, member, START + timedelta(minutes=5))
    assert again.pk != first.pk
    assert again.status == CheckIn.Status.OPEN
    with pytest.raises(Conflict):
        tap(activity, member, START + timedelta(minutes=6))
    assert CheckIn.objects.filter(activity=activity, member=member).count() == 2

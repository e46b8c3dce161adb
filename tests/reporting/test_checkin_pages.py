"""Check-in pages: the QR screen, one-tap check-in, consent, attendance, anomalies, own records."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEvent
from reporting import tokens
from reporting.models import CheckIn, ServiceRecord
from reporting.services.checkin import (
    check_in,
    check_out,
    confirm_checkin,
    grant_location_consent,
)
from tests.reporting.test_checkin_services import make_activity, make_member


@pytest.fixture(autouse=True)
def english(settings):
    # Assertions read the English msgids; the default UI language is Chinese.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def activity(tree, now):
    return make_activity(tree["a"], starts_at=now - timedelta(minutes=10))


@pytest.fixture
def member(tree, now):
    return make_member(tree["a"], year=timezone.localdate(now - timedelta(minutes=10)).year)


def checkin_url(activity):
    return tokens.checkin_url(activity, timezone.now())


def attendance_url(activity):
    return reverse("reporting:activity_attendance", args=[activity.pk])


# --- QR screen ----------------------------------------------------------------------------


def test_organiser_sees_a_rotating_qr_code(client, worker, activity):
    client.force_login(worker)
    response = client.get(reverse("reporting:activity_qr", args=[activity.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body
    assert f"http://testserver/c/{activity.pk}/" in response.context["qr_url"]
    assert 'hx-trigger="every 15s"' in body
    partial = client.get(reverse("reporting:activity_qr_code", args=[activity.pk]))
    assert partial.status_code == 200 and b"<svg" in partial.content


def test_qr_code_is_404_for_another_community_and_403_for_a_member(
    client, worker_b, activity, member
):
    url = reverse("reporting:activity_qr", args=[activity.pk])
    client.force_login(worker_b)
    assert client.get(url).status_code == 404
    client.force_login(member.user)
    assert client.get(url).status_code == 403


# --- member check-in --------------------------------------------------------------------------


def test_check_in_page_needs_sign_in(client, activity):
    url = checkin_url(activity)
    response = client.get(url)
    assert response.status_code == 302
    assert reverse("login") in response["Location"] and "next=" in response["Location"]


def test_forged_link_is_404(client, member, activity):
    client.force_login(member.user)
    assert client.get(f"/c/{activity.pk}/1.forgedforgedfo/").status_code == 404


def test_member_checks_in_with_one_tap_and_out_again(client, member, activity):
    client.force_login(member.user)
    url = checkin_url(activity)
    page = client.get(url)
    assert page.status_code == 200
    assert "Check in" in page.content.decode()
    key = page.context["key"]
    response = client.post(url, {"action": "in", "key": key})
    assert response.status_code == 302
    checkin = CheckIn.objects.get()
    assert checkin.idempotency_key == key
    assert checkin.device_id  # the device cookie set when the page rendered
    page = client.get(url)
    assert "Check out" in page.content.decode()
    response = client.post(url, {"action": "out", "key": page.context["key"]})
    assert response.status_code == 302
    checkin.refresh_from_db()
    assert checkin.checked_out_at is not None and checkin.hours is not None


def test_retried_post_does_not_create_a_second_check_in(client, member, activity):
    client.force_login(member.user)
    url = checkin_url(activity)
    key = client.get(url).context["key"]
    assert client.post(url, {"action": "in", "key": key}).status_code == 302
    assert client.post(url, {"action": "in", "key": key}).status_code == 302
    assert CheckIn.objects.count() == 1


def test_refused_check_in_shows_the_reason(client, tree, activity):
    stranger = make_member(tree["a"], enrolled=False)
    client.force_login(stranger.user)
    url = checkin_url(activity)
    response = client.post(url, {"action": "in", "key": "k"})
    assert response.status_code == 400
    assert "You are not enrolled with Community A" in response.content.decode()
    assert CheckIn.objects.count() == 0


def test_expired_link_says_so(client, member, activity):
    client.force_login(member.user)
    url = tokens.checkin_url(activity, timezone.now() - timedelta(minutes=5))
    response = client.get(url)
    assert response.status_code == 200
    assert "This check-in code has expired" in response.content.decode()
    response = client.post(url, {"action": "in", "key": "k"})
    assert response.status_code == 400
    assert CheckIn.objects.count() == 0


def test_user_who_is_not_a_member_cannot_check_in(client, worker, activity):
    client.force_login(worker)
    url = checkin_url(activity)
    assert "Only registered party members" in client.get(url).content.decode()
    assert client.post(url, {"action": "in"}).status_code == 403


def test_location_script_only_with_consent(client, tree, member, now):
    fenced = make_activity(tree["a"], starts_at=now - timedelta(minutes=10), geofence=True)
    client.force_login(member.user)
    body = client.get(checkin_url(fenced)).content.decode()
    assert "js/checkin_location.js" not in body
    assert reverse("reporting:location_consent") in body
    grant_location_consent(user=member.user, now=now)
    body = client.get(checkin_url(fenced)).content.decode()
    assert "js/checkin_location.js" in body


def test_consent_page_grants_and_revokes(client, member):
    client.force_login(member.user)
    url = reverse("reporting:location_consent")
    assert client.get(url).status_code == 200
    back = "/c/1/x/"
    response = client.post(url, {"decision": "grant", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert member.user.location_consents.filter(revoked_at__isnull=True).exists()
    client.post(url, {"decision": "revoke", "next": "https://evil.example/"})
    assert not member.user.location_consents.filter(revoked_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action__startswith="location_consent.").count() == 2


def test_check_in_page_stays_light(client, member, activity):
    """HTML + CSS + JS the phone downloads for the check-in page (reported in the issue)."""
    client.force_login(member.user)
    page = client.get(checkin_url(activity))
    body = page.content.decode()
    assert "<script src" not in body  # no htmx or other library on this page
    css = finders.find("css/app.css")
    with open(css, "rb") as fh:
        css_bytes = len(fh.read())
    total = len(page.content) + css_bytes
    print(f"check-in page: html={len(page.content)} css={css_bytes} js=0 total={total}")
    assert total < 16_000


# --- attendance -----------------------------------------------------------------------------


@pytest.fixture
def served(member, activity, now):
    check_in(
        activity=activity,
        member=member,
        token=tokens.token_for(activity, now),
        now=now,
    )
    return check_out(
        activity=activity,
        member=member,
        token=tokens.token_for(activity, now + timedelta(minutes=1)),
        now=now + timedelta(minutes=1),
    )


def test_attendance_lists_check_ins_with_actions(client, worker, served, activity):
    client.force_login(worker)
    response = client.get(attendance_url(activity))
    assert response.status_code == 200
    body = response.content.decode()
    assert served.member.user.display_name in body
    assert reverse("reporting:checkin_confirm", args=[served.pk]) in body


def test_attendance_scoping(client, worker_b, street_officer, member, served, activity):
    client.force_login(worker_b)
    assert client.get(attendance_url(activity)).status_code == 404
    client.force_login(member.user)
    assert client.get(attendance_url(activity)).status_code == 403
    # A street officer oversees: reads, without the organiser's buttons.
    client.force_login(street_officer)
    response = client.get(attendance_url(activity))
    assert response.status_code == 200
    assert reverse("reporting:checkin_confirm", args=[served.pk]) not in response.content.decode()
    assert client.post(reverse("reporting:checkin_confirm", args=[served.pk])).status_code == 403


def test_attendance_query_count_is_bounded(
    client, tree, worker, activity, now, django_assert_max_num_queries
):
    for _n in range(30):
        m = make_member(tree["a"], year=timezone.localdate(activity.starts_at).year)
        CheckIn.objects.create(
            activity=activity, member=m, method="qr", checked_in_at=now, flags=["proxy"]
        )
    client.force_login(worker)
    with django_assert_max_num_queries(16):
        response = client.get(attendance_url(activity))
    assert len(response.context["rows"]) == 30


def test_confirm_button_creates_the_record(client, worker, served):
    client.force_login(worker)
    response = client.post(reverse("reporting:checkin_confirm", args=[served.pk]))
    assert response.status_code == 302
    assert ServiceRecord.objects.filter(checkin=served).exists()


def test_worker_of_another_community_gets_404_on_actions(client, worker_b, served):
    client.force_login(worker_b)
    assert client.post(reverse("reporting:checkin_confirm", args=[served.pk])).status_code == 404


def test_correct_needs_a_reason_and_then_corrects(client, worker, served):
    client.force_login(worker)
    url = reverse("reporting:checkin_correct", args=[served.pk])
    response = client.post(url, {"hours": "1.25"}, follow=True)
    assert "This field is required." in response.content.decode()
    served.refresh_from_db()
    assert served.hours != Decimal("1.25")
    client.post(url, {"hours": "1.25", "reason": "Stayed to tidy up"})
    served.refresh_from_db()
    assert served.hours == Decimal("1.25")


def test_my_hours_total_counts_corrections(client, worker, member, served):
    from reporting.services.checkin import correct_checkin

    confirm_checkin(checkin=served, by=worker)
    correct_checkin(checkin=served, by=worker, reason="Recounted", hours=Decimal("0.50"))
    client.force_login(member.user)
    response = client.get(reverse("reporting:my_hours"))
    assert response.context["total"] == Decimal("0.50")
    assert "Recounted" in response.content.decode()


def test_void_from_the_page(client, worker, served):
    client.force_login(worker)
    client.post(reverse("reporting:checkin_void", args=[served.pk]), {"reason": "Duplicate"})
    served.refresh_from_db()
    assert served.status == CheckIn.Status.VOIDED


def test_proxy_form_checks_a_member_in(client, worker, member, activity, now):
    client.force_login(worker)
    url = reverse("reporting:activity_proxy_checkin", args=[activity.pk])
    fmt = "%Y-%m-%dT%H:%M"
    local = timezone.localtime(now)
    response = client.post(url, {"member": member.pk, "checked_in_at": local.strftime(fmt)})
    assert response.status_code == 302
    assert CheckIn.objects.get().method == CheckIn.Method.PROXY
    # Too early: the service's message is shown on the form.
    other = make_member(member.home_community, year=member.enrollments.get().year)
    early = (local - timedelta(hours=3)).strftime(fmt)
    response = client.post(url, {"member": other.pk, "checked_in_at": early})
    assert response.status_code == 400
    assert "inside the activity" in response.content.decode()


# --- anomalies ------------------------------------------------------------------------------


def test_anomalies_list_scoped_and_bounded(
    client, tree, worker, worker_b, street_officer, activity, now, django_assert_max_num_queries
):
    year = timezone.localdate(activity.starts_at).year
    for _n in range(10):
        CheckIn.objects.create(
            activity=activity,
            member=make_member(tree["a"], year=year),
            method="qr",
            checked_in_at=now,
            device_id="shared-phone",
        )
    for flag in ("outside_geofence", "hours_capped", "no_location_consent"):
        for _n in range(10):
            CheckIn.objects.create(
                activity=activity,
                member=make_member(tree["a"], year=year),
                method="qr",
                checked_in_at=now,
                checked_out_at=now,
                flags=[flag],
            )
    url = reverse("reporting:anomalies")
    client.force_login(worker)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == 30
    shared = client.get(url, {"kind": "shared_device"})
    assert shared.context["page_obj"].paginator.count == 10
    assert "Many members from one device" in shared.content.decode()
    client.force_login(street_officer)
    assert client.get(url).context["page_obj"].paginator.count == 30
    client.force_login(worker_b)
    assert client.get(url).context["page_obj"].paginator.count == 0


def test_anomalies_forbidden_for_members(client, member):
    client.force_login(member.user)
    assert client.get(reverse("reporting:anomalies")).status_code == 403


def test_check_in_without_check_out_after_the_end_is_an_anomaly(client, tree, worker, member):
    past = make_activity(tree["a"], starts_at=timezone.now() - timedelta(hours=5))
    CheckIn.objects.create(activity=past, member=member, method="qr", checked_in_at=past.starts_at)
    client.force_login(worker)
    response = client.get(reverse("reporting:anomalies"), {"kind": "no_checkout"})
    assert response.context["page_obj"].paginator.count == 1
    assert "No check-out" in response.content.decode()


# --- a member's own -------------------------------------------------------------------------


def test_member_sees_only_their_own_check_ins_and_hours(client, tree, worker, member, served):
    confirm_checkin(checkin=served, by=worker)
    other = make_member(tree["a"], real_name="别人")
    client.force_login(other.user)
    assert client.get(reverse("reporting:my_checkins")).context["page_obj"].paginator.count == 0
    hours = client.get(reverse("reporting:my_hours"))
    assert hours.context["total"] == 0
    client.force_login(member.user)
    mine = client.get(reverse("reporting:my_checkins"))
    assert mine.context["page_obj"].paginator.count == 1
    hours = client.get(reverse("reporting:my_hours"))
    assert hours.status_code == 200
    assert hours.context["total"] == served.hours
    assert "Park clean-up" in hours.content.decode()


def test_my_pages_for_users_without_membership(client, worker):
    client.force_login(worker)
    assert client.get(reverse("reporting:my_checkins")).status_code == 200
    assert client.get(reverse("reporting:my_hours")).status_code == 200


def test_my_hours_query_count_is_bounded(
    client, worker, member, activity, now, django_assert_max_num_queries
):
    for _n in range(30):
        ServiceRecord.objects.create(
            member=member,
            activity=activity,
            community=activity.community,
            organisation="Community A",
            place="Hall",
            service_date=timezone.localdate(now),
            started_at=now,
            ended_at=now,
            hours=Decimal("1"),
            confirmed_by=worker,
        )
    client.force_login(member.user)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("reporting:my_hours"))
    assert response.context["total"] == Decimal("30")


def test_checked_in_member_with_an_old_code_is_told_to_scan_again(client, member, activity, now):
    check_in(activity=activity, member=member, token=tokens.token_for(activity, now), now=now)
    client.force_login(member.user)
    old = tokens.checkin_url(activity, now - timedelta(minutes=5))
    body = client.get(old).content.decode()
    assert "Checked in" in body
    assert "To check out, scan the code" in body
    assert 'value="out"' not in body

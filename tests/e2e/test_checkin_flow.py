"""Reporting to the community (报到) in a real browser: the organiser shows the rotating QR
code; a party member opens it on a phone, checks in and out with one tap each; the organiser
confirms the attendance; the member's verified hours then show on their phone."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import Role, Setting
from reporting import tokens
from reporting.models import CheckIn, PartyMember, ServiceRecord
from reporting.services.activities import create_activity
from reporting.services.enrollment import confirm_enrollment, submit_enrollment
from tests.factories import category, make_tree, user_with_role

PASSWORD = "correct-horse-battery"


@pytest.fixture
def setting(transactional_db):
    """Community A with a worker, an enrolled party member and an activity under way."""
    tree = make_tree()
    community = tree["a"]
    community.name = "翠苑社区"
    community.save()
    worker = user_with_role(Role.COMMUNITY_WORKER, community, username="worker", real_name="王社工")
    member_user = user_with_role(
        Role.MEMBER, community, username="member", real_name="李党员", phone="13912345678"
    )
    member = PartyMember.objects.create(
        user=member_user, party_organisation="第一党支部", home_community=community
    )
    now = timezone.now()
    # Under way since 45 minutes (but today, so the hours count in this year and day): the
    # check-in window (30 min before the start until the end) is open.
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    starts_at = max(now - timedelta(minutes=45), midnight)
    category("elderly_care")
    enrollment = submit_enrollment(
        by=member_user,
        community=community,
        year=timezone.localdate(starts_at).year,
        intentions={"categories": ["elderly_care"], "skills": "", "times": []},
    )
    confirm_enrollment(enrollment=enrollment, by=worker)
    activity = create_activity(
        by=worker,
        community=community,
        title="敬老院陪伴",
        venue="翠苑社区养老服务站",
        starts_at=starts_at,
        ends_at=now + timedelta(hours=1),
        capacity=20,
    )
    return {"community": community, "worker": worker, "member": member, "activity": activity}


def sign_in(page, username: str) -> None:
    """Fill the sign-in form the browser was sent to, and submit it."""
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form.stack button[type=submit]").click()


def fresh_checkin_url(page, activity) -> str:
    """The URL the organiser's QR code encodes right now."""
    return page.base_url + tokens.checkin_url(activity, timezone.now())


def test_member_checks_in_and_out_and_sees_confirmed_hours(setting, mobile_page, page, screenshot):
    activity, member = setting["activity"], setting["member"]

    # The organiser puts the check-in code on screen.
    organiser = page
    organiser.goto(f"{organiser.base_url}/accounts/login/")
    sign_in(organiser, "worker")
    organiser.wait_for_url("**/staff/")
    qr_path = reverse("reporting:activity_qr", args=[activity.pk])
    organiser.goto(organiser.base_url + qr_path)
    organiser.wait_for_url(f"**{qr_path}")
    assert organiser.locator("#qr-code svg").first.is_visible()
    screenshot(organiser, "organiser-qr")

    # The member scans it: sign-in first, then back to the check-in page.
    phone = mobile_page
    url = fresh_checkin_url(phone, activity)
    phone.goto(url)
    sign_in(phone, "member")
    phone.wait_for_url(url)
    check_in_button = phone.locator("form button[name=action][value=in]")
    assert check_in_button.is_visible()
    screenshot(phone, "member-checkin-mobile")

    check_in_button.tap()
    phone.wait_for_url(url)
    phone.locator(".messages .message.success").wait_for()
    assert phone.locator(".card .badge.open").is_visible()
    checkin = CheckIn.objects.get(activity=activity, member=member)
    assert checkin.status == CheckIn.Status.OPEN and checkin.method == CheckIn.Method.QR
    screenshot(phone, "member-checked-in-mobile")

    # The member stayed from the start: rather than wait, move the check-in back to it.
    CheckIn.objects.filter(pk=checkin.pk).update(checked_in_at=activity.starts_at)

    # Leaving, the member scans the code again (the token on the first URL may have expired).
    url = fresh_checkin_url(phone, activity)
    phone.goto(url)
    phone.locator("form button[name=action][value=out]").tap()
    phone.wait_for_url(url)
    phone.locator(".card .badge.pending").wait_for()
    checkin.refresh_from_db()
    assert checkin.status == CheckIn.Status.PENDING and checkin.checked_out_at is not None
    served = Decimal((checkin.checked_out_at - activity.starts_at).total_seconds()) / 3600
    assert checkin.hours == served.quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert not phone.locator("form button[name=action]").count()
    assert not ServiceRecord.objects.filter(member=member).exists()

    # Before confirmation there are no verified hours.
    hours_path = reverse("reporting:my_hours")
    phone.goto(phone.base_url + hours_path)
    assert phone.locator("td.empty").is_visible()
    assert phone.locator(".tile .value").inner_text().strip() == "0.00"

    # The organiser confirms the attendance.
    attendance_path = reverse("reporting:activity_attendance", args=[activity.pk])
    organiser.goto(organiser.base_url + attendance_path)
    row = organiser.locator("tbody tr").filter(has_text="李党员")
    assert row.locator(".badge.pending").is_visible()
    assert str(checkin.hours) in row.inner_text()
    screenshot(organiser, "organiser-attendance")
    confirm_path = reverse("reporting:checkin_confirm", args=[checkin.pk])
    row.locator(f"form[action$='{confirm_path}'] button").click()
    organiser.wait_for_url(f"**{attendance_path}")
    organiser.locator("tbody tr .badge.confirmed").wait_for()

    record = ServiceRecord.objects.get(member=member)
    assert record.checkin_id == checkin.pk and record.hours == checkin.hours
    assert record.organisation == "翠苑社区" and record.place == activity.venue

    # Now the member's phone shows the verified hours.
    phone.goto(phone.base_url + hours_path)
    assert phone.locator(".tile .value").inner_text().strip() == str(record.hours)
    rows = phone.locator("tbody tr")
    assert rows.count() == 1
    assert activity.title in rows.first.inner_text()
    # Hours come right after the date, so they stay on screen on a narrow phone.
    assert rows.first.locator("td.hours").inner_text().strip() == str(record.hours)
    screenshot(phone, "member-hours-mobile")


def test_stale_code_asks_the_member_to_scan_again(setting, mobile_page):
    activity = setting["activity"]
    step = tokens.step_at(activity, timezone.now())
    stale = reverse("reporting:checkin", args=[activity.pk, tokens.make_token(activity, step - 5)])
    mobile_page.goto(mobile_page.base_url + stale)
    sign_in(mobile_page, "member")
    mobile_page.wait_for_url(f"**{stale}")
    assert mobile_page.locator(".card .message.warning").is_visible()
    assert not mobile_page.locator("form button[name=action]").count()
    assert not CheckIn.objects.filter(activity=activity).exists()


def test_organiser_screen_rotates_the_code(setting, page):
    # A 5-second token step makes the screen poll for a new code every 2 seconds.
    Setting.objects.create(key="checkin.token_step_seconds", area=setting["community"], value=5)
    page.goto(f"{page.base_url}/accounts/login/")
    sign_in(page, "worker")
    page.wait_for_url("**/staff/")
    page.goto(page.base_url + reverse("reporting:activity_qr", args=[setting["activity"].pk]))
    first = page.locator("#qr-code").inner_html()
    assert "<svg" in first
    page.wait_for_function(
        "first => document.querySelector('#qr-code').innerHTML !== first", arg=first
    )
    assert "<svg" in page.locator("#qr-code").inner_html()

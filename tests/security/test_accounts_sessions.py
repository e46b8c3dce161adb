"""Sessions: staff sessions end after 30 minutes idle (members keep the default lifetime),
"sign out everywhere" ends every other session, and the account security page."""

import time
from datetime import timedelta

import pytest
from axes.models import AccessLog
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.urls import clear_script_prefix, reverse, set_script_prefix
from django.utils import timezone

from portal.accounts.middleware import LAST_SEEN_KEY
from portal.models import AuditEvent, Role, RoleAssignment, User
from tests.factories import UserFactory, make_tree, user_with_role

PASSWORD = "correct-horse-battery"
pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return make_tree()


def _sign_in(client, user, ip="10.1.0.1"):
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD}, REMOTE_ADDR=ip
    )
    assert response.status_code == 302
    return response


def _age_session(client, seconds: int) -> None:
    """Time travel: the last activity happened ``seconds`` ago."""
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - seconds
    session.save()


def test_a_staff_session_lives_thirty_minutes_from_the_last_request(client, tree):
    worker = user_with_role(Role.COMMUNITY_WORKER, tree["a"])
    _sign_in(client, worker)
    assert client.session.get_expiry_age() == 1800
    row = Session.objects.get(session_key=client.session.session_key)
    assert row.expire_date <= timezone.now() + timedelta(seconds=1801)


def test_a_staff_session_idle_for_more_than_thirty_minutes_is_signed_out(client, tree, settings):
    settings.LANGUAGE_CODE = "en"
    worker = user_with_role(Role.COMMUNITY_WORKER, tree["a"])
    _sign_in(client, worker)
    _age_session(client, 29 * 60)
    assert client.get(reverse("notifications")).status_code == 200  # still in: activity slides

    _age_session(client, 31 * 60)
    response = client.get(reverse("notifications"))
    assert response.status_code == 302 and response.url == reverse("login")
    assert "_auth_user_id" not in client.session
    page = client.get(reverse("login"))
    assert "without activity" in page.content.decode()


def test_the_database_session_itself_expires_after_thirty_minutes(client, tree):
    worker = user_with_role(Role.COMMUNITY_WORKER, tree["a"])
    _sign_in(client, worker)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(reverse("notifications"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_activity_refreshes_the_expiry(client, tree):
    worker = user_with_role(Role.COMMUNITY_WORKER, tree["a"])
    _sign_in(client, worker)
    _age_session(client, 10 * 60)
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + timedelta(minutes=20)
    )
    assert client.get(reverse("notifications")).status_code == 200
    row = Session.objects.get(session_key=key)
    assert row.expire_date > timezone.now() + timedelta(minutes=29)


def test_admin_operators_are_staff_too(client):
    operator = UserFactory(is_staff=True)
    _sign_in(client, operator)
    assert client.session.get_expiry_age() == 1800


def test_members_keep_the_default_session_lifetime(client, tree):
    member = user_with_role(Role.MEMBER, tree["a"])
    _sign_in(client, member)
    assert client.session.get_expiry_age() == django_settings.SESSION_COOKIE_AGE
    _age_session(client, 3 * 3600)
    assert client.get(reverse("notifications")).status_code == 200


def test_sign_out_everywhere_ends_the_other_sessions_and_keeps_this_one(client, tree):
    worker = user_with_role(Role.COMMUNITY_WORKER, tree["a"])
    laptop, phone = client, client.__class__()
    _sign_in(laptop, worker, ip="10.1.0.2")
    _sign_in(phone, worker, ip="10.1.0.3")
    assert phone.get(reverse("notifications")).status_code == 200

    response = laptop.post(reverse("account_sign_out_everywhere"))
    assert response.status_code == 302
    assert laptop.get(reverse("notifications")).status_code == 200
    response = phone.get(reverse("notifications"))
    assert response.status_code == 302 and reverse("login") in response.url
    event = AuditEvent.objects.get(action="account.signed_out_everywhere")
    assert event.object_id == str(worker.pk)


def test_sign_out_everywhere_needs_a_post(client, tree):
    worker = user_with_role(Role.COMMUNITY_WORKER, tree["a"])
    client.force_login(worker)
    assert client.get(reverse("account_sign_out_everywhere")).status_code == 405


def test_an_admin_signs_a_user_out_everywhere(admin_client, client, tree):
    worker = user_with_role(Role.COMMUNITY_WORKER, tree["a"])
    _sign_in(client, worker)
    response = admin_client.post(
        reverse("admin:portal_user_changelist"),
        {"action": "sign_out_everywhere", "_selected_action": [worker.pk]},
    )
    assert response.status_code == 302
    assert client.get(reverse("notifications")).status_code == 302


def test_the_security_page_shows_recent_sign_ins_and_the_two_factor_status(
    client, tree, settings, django_assert_max_num_queries
):
    settings.LANGUAGE_CODE = "en"
    worker = user_with_role(Role.COMMUNITY_WORKER, tree["a"])
    for n in range(12):
        other = client.__class__()
        _sign_in(other, worker, ip=f"10.2.0.{n}")
    _sign_in(client, worker, ip="10.2.0.99")
    with django_assert_max_num_queries(9):
        response = client.get(reverse("account_security"))
    assert response.status_code == 200
    assert len(response.context["sign_ins"]) == 10
    html = response.content.decode()
    assert "10.2.0.99" in html
    assert "Set up two-factor authentication" in html
    assert reverse("account_sign_out_everywhere") in html
    assert reverse("password_change") in html


def test_the_navigation_links_to_the_security_page(client, tree):
    worker = user_with_role(Role.COMMUNITY_WORKER, tree["a"])
    client.force_login(worker)
    assert reverse("account_security") in client.get(reverse("notifications")).content.decode()


def test_the_security_page_needs_a_signed_in_user(client):
    response = client.get(reverse("account_security"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_recent_sign_ins_leave_out_those_before_the_account_existed(client, tree, settings):
    # Members sign in with their phone number, and numbers are reassigned: the previous
    # holder's sign-ins under the same name must not show on the new holder's page.
    settings.LANGUAGE_CODE = "en"
    member = user_with_role(Role.MEMBER, tree["a"], username="13800007777", phone="13800007777")
    earlier = AccessLog.objects.create(
        username="13800007777",
        ip_address="10.66.0.1",
        user_agent="PreviousHolderBrowser/1.0",
        http_accept="",
        path_info="/accounts/login/",
    )
    AccessLog.objects.filter(pk=earlier.pk).update(
        attempt_time=member.date_joined - timedelta(days=30)
    )
    _sign_in(client, member, ip="10.66.0.2")

    response = client.get(reverse("account_security"))

    assert [row.ip_address for row in response.context["sign_ins"]] == ["10.66.0.2"]
    html = response.content.decode()
    assert "10.66.0.1" not in html and "PreviousHolderBrowser" not in html


def test_a_role_granted_to_a_signed_in_member_ends_the_session_and_the_next_is_staff(client, tree):
    member = user_with_role(Role.MEMBER, tree["a"])
    _sign_in(client, member)
    assert client.session.get_expiry_age() == django_settings.SESSION_COOKIE_AGE

    RoleAssignment.objects.create(user=member, role=Role.COMMUNITY_WORKER, area=tree["a"])

    response = client.get(reverse("notifications"))
    assert response.status_code == 302 and reverse("login") in response.url
    _sign_in(client, member, ip="10.1.0.5")
    assert client.session.get_expiry_age() == 1800


def test_a_role_taken_away_ends_the_session(client, tree):
    worker = user_with_role(Role.COMMUNITY_WORKER, tree["a"])
    _sign_in(client, worker)
    assert client.get(reverse("notifications")).status_code == 200

    RoleAssignment.objects.filter(user=worker).delete()

    response = client.get(reverse("notifications"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_roles_of_an_account_that_never_signed_in_leave_its_epoch_alone(tree):
    user = user_with_role(Role.COMMUNITY_WORKER, tree["a"])
    RoleAssignment.objects.create(user=user, role=Role.MEMBER, area=tree["a"])
    assert User.objects.get(pk=user.pk).session_epoch == 0


@pytest.fixture
def script_prefix():
    """The site served under /portal/ (SCRIPT_NAME), as behind a proxy with a path prefix."""
    set_script_prefix("/portal/")
    yield "/portal"
    clear_script_prefix()


def test_the_gate_recognises_its_own_pages_under_a_script_prefix(client, tree, script_prefix):
    user = user_with_role(Role.MEMBER, tree["a"], must_change_password=True)
    client.force_login(user)
    page = reverse("password_change")
    assert page.startswith("/portal/")
    path_info = page.removeprefix(script_prefix)

    # The password page itself opens (it used to redirect to itself for ever).
    response = client.get(path_info, SCRIPT_NAME=script_prefix)
    assert response.status_code == 200
    # Other pages still go to it.
    response = client.get("/notifications/", SCRIPT_NAME=script_prefix)
    assert response.status_code == 302 and response.url == page
    # Signing out is always open.
    logout = reverse("logout").removeprefix(script_prefix)
    client.post(logout, SCRIPT_NAME=script_prefix)
    assert "_auth_user_id" not in client.session

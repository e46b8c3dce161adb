"""Sessions: staff sessions end after 30 minutes idle (members keep the default lifetime),
"sign out everywhere" ends every other session, and the account security page."""

import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from portal.accounts.middleware import LAST_SEEN_KEY
from portal.models import AuditEvent, Role
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

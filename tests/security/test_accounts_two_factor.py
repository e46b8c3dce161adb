"""TOTP two-factor authentication: required for district officials, city administrators,
auditors and superusers (the admin site included), optional for everyone else; set-up with a
QR code, verification after the password, wrong codes throttled, removal with the password."""

import uuid

import pytest
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts.policy import requires_two_factor
from portal.models import AuditEvent, Role
from tests.factories import UserFactory, make_tree, user_with_role
from tests.two_factor import current_code, give_device, verify_client_session

PASSWORD = "correct-horse-battery"
pytestmark = [pytest.mark.django_db, pytest.mark.real_2fa]


@pytest.fixture
def tree():
    return make_tree()


def _sign_in(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return response


@pytest.mark.parametrize(
    ("role", "area"),
    [(Role.DISTRICT_OFFICIAL, "district"), (Role.CITY_ADMIN, "city"), (Role.AUDITOR, "city")],
)
def test_required_roles_without_a_device_are_sent_to_set_up(client, tree, role, area):
    user = user_with_role(role, tree[area])
    _sign_in(client, user)
    for url in (reverse("home"), reverse("audit_log"), reverse("notifications")):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("two_factor_setup"))


def test_a_superuser_must_set_up_two_factor_before_the_admin(client):
    boss = UserFactory(is_staff=True, is_superuser=True)
    _sign_in(client, boss)
    response = client.get("/admin/portal/user/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor_setup"))


def test_set_up_shows_a_qr_code_and_the_key_and_a_code_confirms_it(client, tree, settings):
    settings.LANGUAGE_CODE = "en"
    user = user_with_role(Role.DISTRICT_OFFICIAL, tree["district"])
    _sign_in(client, user)
    page = client.get(reverse("two_factor_setup"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "<path" in html
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = page.context["secret_groups"]
    assert "".join(secret) in device.config_url
    assert "<script" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]

    wrong = client.post(reverse("two_factor_setup"), {"token": "000000"})
    assert wrong.status_code == 400
    device.refresh_from_db()
    assert not device.confirmed
    device.throttling_failure_timestamp = None  # skip the back-off wait after the wrong code
    device.save()

    response = client.post(reverse("two_factor_setup"), {"token": current_code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("notifications")).status_code == 200
    assert AuditEvent.objects.filter(action="account.2fa_enabled", object_id=str(user.pk)).exists()


def test_after_the_password_a_code_is_asked_and_then_the_page_opens(client, tree):
    user = user_with_role(Role.AUDITOR, tree["city"])
    device = give_device(user)
    _sign_in(client, user)
    response = client.get(reverse("audit_log"))
    assert response.status_code == 302
    assert response.url == f"{reverse('two_factor_verify')}?next=%2Fstaff%2Faudit%2F"

    response = client.post(
        reverse("two_factor_verify"), {"token": current_code(device), "next": "/staff/audit/"}
    )
    assert response.status_code == 302 and response.url == "/staff/audit/"
    assert client.get(reverse("audit_log")).status_code == 200
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_a_wrong_code_is_refused_audited_and_throttled(client, tree, settings):
    settings.LANGUAGE_CODE = "en"
    user = user_with_role(Role.CITY_ADMIN, tree["city"])
    device = give_device(user)
    _sign_in(client, user)
    response = client.post(reverse("two_factor_verify"), {"token": "123456"})
    assert response.status_code == 400
    assert "not right" in response.content.decode()
    # Right away the right code is refused too: django-otp's back-off after a failure.
    response = client.post(reverse("two_factor_verify"), {"token": current_code(device)})
    assert response.status_code == 400
    assert "Too many wrong codes" in response.content.decode()
    assert client.get(reverse("notifications")).status_code == 302
    assert AuditEvent.objects.filter(action="account.2fa_failed").count() >= 1


def test_a_code_cannot_be_used_twice(client, tree):
    user = user_with_role(Role.CITY_ADMIN, tree["city"])
    device = give_device(user)
    code = current_code(device)
    _sign_in(client, user)
    assert client.post(reverse("two_factor_verify"), {"token": code}).status_code == 302

    other = client.__class__()
    _sign_in(other, user)
    assert other.post(reverse("two_factor_verify"), {"token": code}).status_code == 400


def test_members_and_workers_need_no_second_factor(client, tree):
    worker = user_with_role(Role.COMMUNITY_WORKER, tree["a"])
    _sign_in(client, worker)
    assert client.get(reverse("notifications")).status_code == 200


def test_an_optional_user_who_set_it_up_is_asked_for_the_code(client, tree):
    worker = user_with_role(Role.COMMUNITY_WORKER, tree["a"])
    device = give_device(worker)
    _sign_in(client, worker)
    response = client.get(reverse("notifications"))
    assert response.status_code == 302 and response.url.startswith(reverse("two_factor_verify"))
    client.post(reverse("two_factor_verify"), {"token": current_code(device)})
    assert client.get(reverse("notifications")).status_code == 200


def test_an_optional_user_turns_it_off_with_the_password(client, tree):
    worker = user_with_role(Role.COMMUNITY_WORKER, tree["a"])
    device = give_device(worker)
    _sign_in(client, worker)
    client.post(reverse("two_factor_verify"), {"token": current_code(device)})

    wrong = client.post(reverse("two_factor_disable"), {"password": "not-my-password"})
    assert wrong.status_code == 400
    assert TOTPDevice.objects.filter(user=worker).exists()

    response = client.post(reverse("two_factor_disable"), {"password": PASSWORD})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=worker).exists()
    assert AuditEvent.objects.filter(action="account.2fa_disabled").exists()


def test_required_users_cannot_turn_it_off(client, tree):
    user = user_with_role(Role.DISTRICT_OFFICIAL, tree["district"])
    device = give_device(user)
    _sign_in(client, user)
    client.post(reverse("two_factor_verify"), {"token": current_code(device)})
    response = client.post(reverse("two_factor_disable"), {"password": PASSWORD})
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=user).exists()


def test_an_admin_resets_a_lost_authenticator(client, tree):
    boss = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(boss)
    verify_client_session(client, boss)
    user = user_with_role(Role.DISTRICT_OFFICIAL, tree["district"])
    give_device(user)
    response = client.post(
        reverse("admin:portal_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [user.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(action="account.2fa_reset").exists()


def test_the_admin_does_not_show_authenticator_secrets():
    from django.contrib import admin

    assert TOTPDevice not in admin.site._registry


def test_test_clients_of_required_users_are_verified_unless_marked_real_2fa(client, tree):
    # This module is marked real_2fa: force_login does not pass the second factor here.
    user = user_with_role(Role.AUDITOR, tree["city"])
    client.force_login(user)
    assert client.get(reverse("audit_log")).status_code == 302


def test_an_admin_operator_must_set_up_two_factor_before_the_admin(client):
    operator = UserFactory(is_staff=True)
    assert requires_two_factor(operator)
    _sign_in(client, operator)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor_setup"))


def test_each_set_up_visit_shows_a_new_key_only_that_session_can_confirm(client, tree):
    worker = user_with_role(Role.COMMUNITY_WORKER, tree["a"])
    _sign_in(client, worker)
    other = client.__class__()
    _sign_in(other, worker)

    first = client.get(reverse("two_factor_setup")).context["secret_groups"]
    again = client.get(reverse("two_factor_setup")).context["secret_groups"]
    theirs = other.get(reverse("two_factor_setup")).context["secret_groups"]
    assert len({"".join(first), "".join(again), "".join(theirs)}) == 3
    # Only the latest visit's key is waiting, and it belongs to the other session.
    (pending,) = TOTPDevice.objects.filter(user=worker, confirmed=False)
    assert "".join(theirs) in pending.config_url

    response = client.post(reverse("two_factor_setup"), {"token": current_code(pending)})
    assert response.status_code == 400
    assert not TOTPDevice.objects.filter(user=worker, confirmed=True).exists()


def test_confirming_two_factor_signs_out_the_other_sessions_and_renews_this_one(client, tree):
    worker = user_with_role(Role.COMMUNITY_WORKER, tree["a"])
    other = client.__class__()
    _sign_in(other, worker)
    assert other.get(reverse("notifications")).status_code == 200
    _sign_in(client, worker)
    client.get(reverse("two_factor_setup"))
    key_before = client.session.session_key
    device = TOTPDevice.objects.get(user=worker, confirmed=False)

    response = client.post(reverse("two_factor_setup"), {"token": current_code(device)})
    assert response.status_code == 302
    assert client.session.session_key != key_before
    assert client.get(reverse("notifications")).status_code == 200
    response = other.get(reverse("notifications"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_the_session_key_changes_when_the_second_factor_is_verified(client, tree):
    user = user_with_role(Role.AUDITOR, tree["city"])
    device = give_device(user)
    _sign_in(client, user)
    key_before = client.session.session_key
    response = client.post(reverse("two_factor_verify"), {"token": current_code(device)})
    assert response.status_code == 302
    assert client.session.session_key != key_before
    assert client.get(reverse("audit_log")).status_code == 200


def test_wrong_passwords_to_turn_two_factor_off_are_limited_per_account(client, tree, settings):
    settings.RATELIMIT_ENABLE = True
    settings.BAODAO_RATE_PASSWORD_RECHECK = "2/h"
    settings.RATELIMIT_CACHE_PREFIX = f"test-{uuid.uuid4().hex}:"
    worker = user_with_role(Role.COMMUNITY_WORKER, tree["a"])
    device = give_device(worker)
    _sign_in(client, worker)
    client.post(reverse("two_factor_verify"), {"token": current_code(device)})

    for _attempt in range(2):
        response = client.post(reverse("two_factor_disable"), {"password": "guess-again"})
        assert response.status_code == 400
    # Over the limit even the right password waits: guessing learns nothing more.
    response = client.post(reverse("two_factor_disable"), {"password": PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert TOTPDevice.objects.filter(user=worker).exists()

"""Password rules, the forced change of initial passwords, and password reset by e-mail with
a one-time link that expires after 30 minutes."""

import re
import uuid
from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from portal.models import AuditEvent, User
from reporting.services.roster import create_member
from tests.factories import UserFactory, make_tree

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "Lantern-river-7-orbit"
pytestmark = pytest.mark.django_db


def _errors(password: str, user) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return [error.code for error in exc.error_list]
    return []


@pytest.fixture
def person():
    return UserFactory(username="zhangwei", real_name="张伟", phone="13812345678")


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short-1", "password_too_short"),
        ("1234567890123", "password_entirely_numeric"),
        ("password1234", "password_too_common"),
        ("Abc13812345678", "password_contains_phone"),
        ("x12345678-secret", "password_contains_phone"),  # the last 8 digits
        ("138-1234-5678-ok!", "password_contains_phone"),  # separators do not hide it
        ("张伟-lantern-river", "password_contains_name"),
        ("zhangwei-is-great", "password_contains_username"),
    ],
)
def test_weak_or_personal_passwords_are_refused(person, password, code):
    assert code in _errors(password, person)


def test_a_long_unrelated_password_is_accepted(person):
    assert _errors(NEW_PASSWORD, person) == []


# -- forced change of an initial password ----------------------------------------------------


def test_accounts_from_the_roster_and_import_must_choose_their_own_password():
    tree = make_tree()
    member = create_member(
        real_name="李四",
        phone="13811112222",
        party_organisation="x",
        workplace="",
        community=tree["a"],
    )
    assert member.user.must_change_password


def test_an_account_created_in_the_admin_with_a_password_must_change_it(admin_client):
    response = admin_client.post(
        reverse("admin:portal_user_add"),
        {
            "username": "newclerk",
            "usable_password": "true",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "real_name": "新职员",
            "phone": "13700001111",
            "role_assignments-TOTAL_FORMS": "0",
            "role_assignments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(username="newclerk").must_change_password
    assert AuditEvent.objects.filter(action="account.password_set_by_admin").exists()


def test_a_password_set_by_an_admin_for_someone_else_must_be_changed(admin_client, person):
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[person.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.must_change_password


def test_a_flagged_user_is_sent_to_change_the_password_until_done(client, person, settings):
    settings.LANGUAGE_CODE = "en"
    person.must_change_password = True
    person.save()
    client.force_login(person)

    for url in (reverse("home"), reverse("notifications"), "/admin/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url == reverse("password_change")
    assert client.get(reverse("password_change")).status_code == 200
    # Signing out stays possible.
    assert client.post(reverse("logout")).status_code == 302

    client.force_login(person)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert not person.must_change_password
    assert client.get(reverse("notifications")).status_code == 200
    assert AuditEvent.objects.filter(action="account.password_changed").exists()


def test_the_new_password_must_follow_the_rules(client, person):
    person.must_change_password = True
    person.save()
    client.force_login(person)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "x13812345678y",
            "new_password2": "x13812345678y",
        },
    )
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.must_change_password


def test_the_demo_accounts_are_not_forced_to_change_their_password():
    from portal.demo import ACCOUNTS, ensure_accounts

    ensure_accounts({})
    assert not User.objects.filter(
        username__in=[a.username for a in ACCOUNTS], must_change_password=True
    ).exists()


# -- password reset ----------------------------------------------------------------------------


def _reset_link(client, email: str) -> str:
    mail.outbox.clear()
    response = client.post(reverse("password_reset"), {"email": email})
    assert response.status_code == 302
    (message,) = mail.outbox
    return re.search(r"https?://[^/]+(/accounts/reset/\S+/)", message.body).group(1)


def test_the_login_page_links_to_password_reset(client, settings):
    settings.LANGUAGE_CODE = "en"
    content = client.get(reverse("login")).content.decode()
    assert reverse("password_reset") in content


def test_the_reset_answer_does_not_reveal_whether_the_address_exists(client):
    UserFactory(email="known@example.org")
    known = client.post(reverse("password_reset"), {"email": "known@example.org"})
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1


def test_a_reset_link_sets_a_new_password_once(client, person):
    person.email = "zw@example.org"
    person.must_change_password = True
    person.save()
    link = _reset_link(client, "zw@example.org")

    page = client.get(link, follow=True)
    assert page.context["validlink"]
    form_url = page.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    assert not person.must_change_password
    assert AuditEvent.objects.filter(action="account.password_reset").exists()

    # The same link again: spent.
    other = client.__class__()
    again = other.get(link, follow=True)
    assert not again.context["validlink"]


def test_a_reset_link_expires_after_thirty_minutes(client, person, settings):
    assert settings.PASSWORD_RESET_TIMEOUT == 1800
    person.email = "zw@example.org"
    person.save()
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    issued = datetime.now()
    with mock.patch.object(PasswordResetTokenGenerator, "_now", return_value=issued):
        token = default_token_generator.make_token(person)
    url = reverse("password_reset_confirm", args=[uid, token])

    later = issued + timedelta(minutes=29)
    with mock.patch.object(PasswordResetTokenGenerator, "_now", return_value=later):
        assert client.get(url, follow=True).context["validlink"]

    too_late = issued + timedelta(minutes=31)
    with mock.patch.object(PasswordResetTokenGenerator, "_now", return_value=too_late):
        assert not client.__class__().get(url, follow=True).context["validlink"]


def test_other_sessions_end_when_the_password_changes(client, person):
    other = client.__class__()
    other.force_login(person)
    client.force_login(person)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get(reverse("notifications")).status_code == 200  # this session stays
    response = other.get(reverse("notifications"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_htmx_requests_of_a_flagged_user_are_redirected_by_htmx(client, person):
    person.must_change_password = True
    person.save()
    client.force_login(person)
    response = client.get(reverse("notifications"), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == reverse("password_change")


def test_a_password_reset_lifts_the_sign_in_lockout(client, person):
    person.email = "zw@example.org"
    person.save()
    for n in range(5):
        client.post(
            reverse("login"),
            {"username": "zhangwei", "password": "wrong-password"},
            REMOTE_ADDR=f"10.7.0.{n}",
        )
    locked = client.post(
        reverse("login"), {"username": "zhangwei", "password": PASSWORD}, REMOTE_ADDR="10.7.1.1"
    )
    assert locked.status_code == 429

    link = _reset_link(client, "zw@example.org")
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302

    signed_in = client.__class__().post(
        reverse("login"), {"username": "zhangwei", "password": NEW_PASSWORD}, REMOTE_ADDR="10.7.1.2"
    )
    assert signed_in.status_code == 302
    event = AuditEvent.objects.get(action="account.password_reset")
    assert event.data["lockout_cleared"] >= 1


def test_wrong_current_passwords_on_the_change_form_are_limited_per_account(
    client, person, settings
):
    settings.RATELIMIT_ENABLE = True
    settings.BAODAO_RATE_PASSWORD_RECHECK = "2/h"
    settings.RATELIMIT_CACHE_PREFIX = f"test-{uuid.uuid4().hex}:"
    client.force_login(person)
    change = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    for guess in ("guess-one", "guess-two"):
        response = client.post(reverse("password_change"), {"old_password": guess, **change})
        assert response.status_code == 200
    # Over the limit even the right current password waits: guessing learns nothing more.
    response = client.post(reverse("password_change"), {"old_password": PASSWORD, **change})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_the_password_recheck_limit_counts_only_wrong_passwords(client, person, settings):
    settings.RATELIMIT_ENABLE = True
    settings.BAODAO_RATE_PASSWORD_RECHECK = "1/h"
    settings.RATELIMIT_CACHE_PREFIX = f"test-{uuid.uuid4().hex}:"
    client.force_login(person)
    weak = {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"}
    assert client.post(reverse("password_change"), weak).status_code == 200
    assert client.post(reverse("password_change"), weak).status_code == 200
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302

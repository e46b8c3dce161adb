"""Sign-in lockout (django-axes): 5 failures in 30 minutes lock the account, whichever of its
username or phone number was typed and from whatever address, and separately the address,
whichever accounts it tried; a readable page says until when; admins can unlock."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.urls import reverse
from django.utils import timezone

from portal.accounts.history import forget_sign_in_history
from portal.accounts.lockout import account_key, client_ip, unknown_key
from portal.models import AuditEvent
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"
pytestmark = pytest.mark.django_db


WRONG = "wrong-password"


def _try(client, login, password=WRONG, ip="10.0.0.1", **extra):
    return client.post(
        reverse("login"), {"username": login, "password": password}, REMOTE_ADDR=ip, **extra
    )


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_five_failures_lock_the_account_across_addresses_and_login_names(client, settings):
    settings.LANGUAGE_CODE = "en"
    user = UserFactory(username="lin", phone="13800001111")
    for n, login in enumerate(["lin", "13800001111", "lin", "13800001111"]):
        assert _try(client, login, ip=f"10.0.0.{n + 1}").status_code == 200
    # The fifth failure, from yet another address, locks the account.
    response = _try(client, "lin", ip="10.0.0.9")
    assert response.status_code == 429

    # Now even the right password, from a fresh address and through the phone number, is refused.
    response = _try(client, "13800001111", password=PASSWORD, ip="10.9.9.9")
    assert response.status_code == 429
    assert not _signed_in(client)
    assert AccessAttempt.objects.filter(username=account_key(user)).exists()


def test_four_failures_do_not_lock_and_a_success_clears_the_account_count(client):
    user = UserFactory(username="lin")
    for n in range(4):
        _try(client, "lin", ip=f"10.0.1.{n}")
    response = _try(client, "lin", password=PASSWORD, ip="10.0.1.9")
    assert response.status_code == 302
    assert _signed_in(client)
    assert not AccessAttempt.objects.filter(username=account_key(user)).exists()


def test_five_failures_from_one_address_lock_the_address_for_every_account(client):
    users = [UserFactory() for _ in range(5)]
    for user in users:
        _try(client, user.username, ip="10.0.2.1")
    victim = UserFactory(username="untouched")
    # Another account, correct password, same address: refused.
    assert _try(client, "untouched", password=PASSWORD, ip="10.0.2.1").status_code == 429
    # The same account from another address is fine: it had no failures of its own.
    assert _try(client, victim.username, password=PASSWORD, ip="10.0.2.2").status_code == 302


def test_unknown_names_count_against_the_address_without_storing_what_was_typed(client):
    for _ in range(5):
        _try(client, "13999998888", ip="10.0.3.1")
    assert _try(client, "13999998888", ip="10.0.3.1").status_code == 429
    usernames = set(AccessAttempt.objects.values_list("username", flat=True))
    assert usernames and all(name.startswith("unknown:") for name in usernames)
    assert not any("13999998888" in name for name in usernames)


def test_the_lockout_page_says_when_signing_in_works_again(client, settings):
    settings.LANGUAGE_CODE = "en"
    UserFactory(username="lin")
    for _ in range(5):
        response = _try(client, "lin")
    assert response.status_code == 429
    text = response.content.decode()
    assert "Sign-in temporarily locked" in text
    until = timezone.localtime(timezone.now() + timedelta(minutes=30))
    assert until.strftime("%H:%M") in text or (
        (until - timedelta(minutes=1)).strftime("%H:%M") in text
    )
    assert "ask your system administrator to unlock" in text
    assert reverse("password_reset") in text


def test_attempts_while_locked_do_not_extend_the_lockout(client):
    user = UserFactory(username="lin")
    for _ in range(5):
        _try(client, "lin")
    last = AccessAttempt.objects.filter(username=account_key(user)).get().attempt_time
    _try(client, "lin", password=PASSWORD)
    assert AccessAttempt.objects.filter(username=account_key(user)).get().attempt_time == last


def test_the_lockout_ends_after_thirty_minutes(client):
    UserFactory(username="lin")
    for _ in range(5):
        _try(client, "lin")
    assert _try(client, "lin", password=PASSWORD).status_code == 429
    # Time travel: the failures happened 31 minutes ago.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))
    assert _try(client, "lin", password=PASSWORD).status_code == 302


def test_failures_older_than_thirty_minutes_do_not_count(client):
    UserFactory(username="lin")
    for _ in range(4):
        _try(client, "lin")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=31))
    # One more failure: had the old four counted, this fifth would lock.
    assert _try(client, "lin").status_code == 200
    assert _try(client, "lin", password=PASSWORD).status_code == 302


def test_an_admin_unlocks_an_account_from_the_user_admin_and_it_is_audited(client, admin_client):
    user = UserFactory(username="lin")
    for n in range(5):
        _try(client, "lin", ip=f"10.0.4.{n}")
    assert _try(client, "lin", password=PASSWORD, ip="10.0.4.9").status_code == 429

    response = admin_client.post(
        reverse("admin:portal_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [user.pk]},
    )
    assert response.status_code == 302
    assert _try(client, "lin", password=PASSWORD, ip="10.0.4.9").status_code == 302
    event = AuditEvent.objects.get(action="account.unlocked")
    assert event.object_id == str(user.pk)


def test_the_admin_lists_locked_attempts(admin_client):
    UserFactory(username="lin")
    response = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert response.status_code == 200


def test_the_client_address_comes_only_from_the_configured_header(rf, settings):
    settings.BAODAO_CLIENT_IP_HEADER = ""
    request = rf.post("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert client_ip(request) == "192.0.2.1"  # a client-sent header is ignored by default

    settings.BAODAO_CLIENT_IP_HEADER = "X-Forwarded-For"
    request = rf.post("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.5")
    assert client_ip(request) == "203.0.113.5"  # the entry our proxy appended

    request = rf.post("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-ip")
    assert client_ip(request) == "10.0.0.2"


def test_the_admin_login_is_locked_too(client):
    UserFactory(username="boss", is_staff=True)
    for _ in range(5):
        client.post(
            reverse("admin:login"),
            {"username": "boss", "password": "nope-nope-nope"},
            REMOTE_ADDR="10.0.5.1",
        )
    response = client.post(
        reverse("admin:login"),
        {"username": "boss", "password": PASSWORD},
        REMOTE_ADDR="10.0.5.2",
    )
    assert response.status_code == 429


def test_failures_from_one_ipv6_64_lock_every_address_in_it(client):
    # One subscriber holds a whole /64: a new address for each try must not buy fresh tries.
    for n in range(5):
        _try(client, UserFactory().username, ip=f"2001:db8:1:2::{n + 1:x}")
    victim = UserFactory(username="untouched")
    response = _try(client, "untouched", password=PASSWORD, ip="2001:db8:1:2:ffff:1:2:3")
    assert response.status_code == 429
    # Another /64 is another client.
    assert _try(client, victim.username, password=PASSWORD, ip="2001:db8:1:3::1").status_code == 302


def test_the_lockout_address_of_ipv6_is_its_64_and_ipv4_stays_whole(rf, settings):
    settings.BAODAO_CLIENT_IP_HEADER = ""
    assert client_ip(rf.post("/", REMOTE_ADDR="2001:db8:1:2:aaaa:bbbb:cccc:dddd")) == (
        "2001:db8:1:2::"
    )
    assert client_ip(rf.post("/", REMOTE_ADDR="192.0.2.7")) == "192.0.2.7"
    # An IPv4 client seen through a dual-stack socket is its IPv4 address, not ::/64.
    assert client_ip(rf.post("/", REMOTE_ADDR="::ffff:192.0.2.7")) == "192.0.2.7"
    settings.BAODAO_CLIENT_IP_HEADER = "X-Real-IP"
    request = rf.post("/", REMOTE_ADDR="10.0.0.2", HTTP_X_REAL_IP="2001:db8:9:9:1::5")
    assert client_ip(request) == "2001:db8:9:9::"


def test_forgetting_the_sign_in_history_deletes_the_accounts_records_only(client):
    member = UserFactory(username="13800001111", phone="13800001111")
    other = UserFactory(username="13800002222", phone="13800002222")
    for user in (member, other):
        assert _try(client, user.username, password=PASSWORD).status_code == 302
        client.logout()
        _try(client, user.username)
    # Tries under the number before the account existed are kept under a keyed hash.
    AccessAttempt.objects.create(
        username=unknown_key("13800001111"),
        ip_address="10.0.0.8",
        user_agent="",
        http_accept="",
        path_info="/",
        get_data="",
        post_data="",
        failures_since_start=1,
    )
    for name in (account_key(member), account_key(other)):
        AccessFailureLog.objects.create(
            username=name, ip_address="10.0.0.1", user_agent="", http_accept="", path_info="/"
        )

    deleted = forget_sign_in_history(user=member)

    assert deleted == 4  # the access log, the attempt, the keyed-hash attempt, the failure log
    mine = [member.username, account_key(member), unknown_key("13800001111")]
    for model in (AccessLog, AccessAttempt, AccessFailureLog):
        assert not model.objects.filter(username__in=mine).exists()
    assert AccessLog.objects.filter(username=other.username).exists()
    assert AccessAttempt.objects.filter(username=account_key(other)).exists()
    assert AccessFailureLog.objects.filter(username=account_key(other)).exists()

"""Rate limits of the public need form and the tracking page (with its rating forms), per client
address and per phone or tracking number; and the tracking page never tells whether a number
exists."""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from portal.ratelimits import client_ip
from resources.models import Need
from resources.services import submit_need
from tests.factories import category

FORM_URL = reverse("resources:public_need_form")
TRACK_URL = reverse("resources:track_need")
RATE_URL = reverse("resources:rate_need")
RATE_PROJECT_URL = reverse("resources:rate_project")


@pytest.fixture(autouse=True)
def limits_on(settings):
    settings.LANGUAGE_CODE = "en"
    settings.RATELIMIT_ENABLE = True
    settings.BAODAO_RATE_NEED_FORM_IP = "5/h"
    settings.BAODAO_RATE_NEED_FORM_PHONE = "3/h"
    settings.BAODAO_RATE_TRACK_IP = "10/10m"
    settings.BAODAO_RATE_TRACK_NUMBER = "5/10m"
    settings.BAODAO_CLIENT_IP_HEADER = ""
    cache.clear()
    yield
    cache.clear()


def from_ip(ip: str, **extra) -> Client:
    return Client(REMOTE_ADDR=ip, **extra)


@pytest.fixture
def meals(db):
    return category("meal_assistance")


def need_data(tree, cat, phone: str) -> dict:
    return {
        "community": tree["a"].pk,
        "category": cat.pk,
        "title": "Lunch delivery",
        "description": "My mother cannot cook any more.",
        "target_group": "elderly_alone",
        "requester_name": "王大爷",
        "requester_phone": phone,
        "website": "",
    }


@pytest.fixture
def need(tree, meals):
    return submit_need(
        community=tree["a"],
        category=meals,
        title="Lunch",
        description="Please help",
        requester_name="李",
        requester_phone="13912345678",
    )


def test_the_need_form_takes_five_submissions_an_hour_from_one_address(client, tree, meals):
    web = from_ip("203.0.113.5")
    statuses = [
        web.post(FORM_URL, need_data(tree, meals, f"1370000000{i}")).status_code for i in range(6)
    ]

    assert statuses == [302] * 5 + [429]
    assert Need.objects.count() == 5


def test_a_limited_need_form_answers_429_with_retry_after_and_a_clear_page(tree, meals):
    web = from_ip("203.0.113.6")
    for i in range(5):
        web.post(FORM_URL, need_data(tree, meals, f"1370000001{i}"))

    response = web.post(FORM_URL, need_data(tree, meals, "13700000019"))

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert "Too many attempts" in response.content.decode()
    assert response["Cache-Control"] == "no-store"


def test_the_need_form_takes_three_submissions_an_hour_for_one_phone(tree, meals):
    statuses = [
        from_ip(f"198.51.100.{i}").post(FORM_URL, need_data(tree, meals, "13712345678"))
        for i in range(4)
    ]

    assert [r.status_code for r in statuses] == [302, 302, 302, 429]
    assert Need.objects.filter(requester_phone="13712345678").count() == 3


def test_a_limited_address_does_not_hold_back_another(tree, meals):
    busy = from_ip("203.0.113.7")
    for i in range(6):
        busy.post(FORM_URL, need_data(tree, meals, f"1370000002{i}"))

    response = from_ip("203.0.113.8").post(FORM_URL, need_data(tree, meals, "13700000030"))

    assert response.status_code == 302


def test_reading_the_need_form_is_not_counted(tree, meals):
    web = from_ip("203.0.113.9")
    for _ in range(10):
        assert web.get(FORM_URL).status_code == 200

    assert web.post(FORM_URL, need_data(tree, meals, "13700000040")).status_code == 302


def test_failed_and_honeypot_submissions_count_too(tree, meals):
    web = from_ip("203.0.113.10")
    for i in range(3):
        web.post(FORM_URL, {**need_data(tree, meals, f"1370000005{i}"), "title": ""})
    for i in range(2):
        web.post(FORM_URL, {**need_data(tree, meals, f"1370000006{i}"), "website": "x"})

    assert web.post(FORM_URL, need_data(tree, meals, "13700000070")).status_code == 429


def test_tracking_takes_ten_lookups_in_ten_minutes_from_one_address(need):
    web = from_ip("203.0.113.20")
    statuses = [
        web.post(TRACK_URL, {"tracking_number": f"X{i}", "phone_last4": "0000"}).status_code
        for i in range(11)
    ]

    assert statuses == [200] * 10 + [429]
    # Even the right answer waits now: the limit comes before the lookup.
    right = web.post(TRACK_URL, {"tracking_number": need.tracking_number, "phone_last4": "5678"})
    assert right.status_code == 429
    assert need.title not in right.content.decode()


def test_tracking_takes_five_guesses_per_number_from_any_number_of_addresses(need):
    guesses = [
        from_ip(f"192.0.2.{i}").post(
            TRACK_URL, {"tracking_number": need.tracking_number, "phone_last4": f"{i:04d}"}
        )
        for i in range(6)
    ]

    assert [r.status_code for r in guesses] == [200] * 5 + [429]
    # Spelled differently, the number is the same number.
    lower = from_ip("192.0.2.99").post(
        TRACK_URL, {"tracking_number": f" {need.tracking_number.lower()} ", "phone_last4": "5678"}
    )
    assert lower.status_code == 429


def test_the_rating_forms_share_the_tracking_budget(need):
    number = need.tracking_number
    web = from_ip("203.0.113.21")
    for i in range(3):
        web.post(TRACK_URL, {"tracking_number": number, "phone_last4": f"{i:04d}"})
    web.post(RATE_URL, {"tracking_number": number, "phone_last4": "0003", "stars": 5})
    web.post(RATE_PROJECT_URL, {"tracking_number": number, "phone_last4": "0004", "stars": 5})

    assert web.post(RATE_URL, {"tracking_number": number, "phone_last4": "0005"}).status_code == 429
    assert (
        from_ip("203.0.113.22").post(RATE_PROJECT_URL, {"tracking_number": number}).status_code
        == 429
    )


def test_a_forwarded_for_header_is_ignored_unless_a_proxy_header_is_configured(tree, meals):
    for i in range(6):
        response = from_ip("10.0.0.1", HTTP_X_FORWARDED_FOR=f"198.18.0.{i}").post(
            FORM_URL, need_data(tree, meals, f"1370000008{i}")
        )

    assert response.status_code == 429


def test_the_configured_proxy_header_names_the_client(settings, tree, meals):
    settings.BAODAO_CLIENT_IP_HEADER = "X-Real-IP"
    statuses = [
        from_ip("10.0.0.2", HTTP_X_REAL_IP=f"198.18.1.{i}")
        .post(FORM_URL, need_data(tree, meals, f"1370000009{i}"))
        .status_code
        for i in range(6)
    ]

    assert statuses == [302] * 6


def test_client_ip_takes_the_last_forwarded_entry_and_falls_back_on_nonsense(rf, settings):
    settings.BAODAO_CLIENT_IP_HEADER = "X-Forwarded-For"
    spoofed = rf.get("/", REMOTE_ADDR="10.0.0.3", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.18.2.1")
    garbage = rf.get("/", REMOTE_ADDR="10.0.0.3", HTTP_X_FORWARDED_FOR="<script>")

    assert client_ip(spoofed) == "198.18.2.1"
    assert client_ip(garbage) == "10.0.0.3"


def test_ipv6_clients_are_counted_per_64(tree, meals):
    statuses = [
        from_ip(f"2001:db8:1:2::{i:x}")
        .post(FORM_URL, need_data(tree, meals, f"1370000010{i}"))
        .status_code
        for i in range(6)
    ]

    assert statuses[-1] == 429


def test_rate_limits_can_be_set_per_deployment(settings, tree, meals):
    settings.BAODAO_RATE_NEED_FORM_IP = "1/h"
    web = from_ip("203.0.113.30")

    assert web.post(FORM_URL, need_data(tree, meals, "13700000110")).status_code == 302
    assert web.post(FORM_URL, need_data(tree, meals, "13700000111")).status_code == 429


def _without_csrf(content: bytes) -> str:
    """The page without what differs on every response: CSRF tokens and CSP nonces."""
    page = re.sub(r"\b[A-Za-z0-9]{64}\b", "<token>", content.decode())
    return re.sub(r'nonce="[^"]*"', 'nonce=""', page)


@pytest.mark.parametrize("url", [TRACK_URL, RATE_URL, RATE_PROJECT_URL])
def test_an_unknown_number_and_wrong_digits_get_identical_answers(need, url):
    # The same typed number and digits both times; only whether the number exists differs.
    unknown_number = "BD" + "9" * 12
    wrong_digits = from_ip("203.0.113.40").post(
        url, {"tracking_number": need.tracking_number, "phone_last4": "0000", "stars": 5}
    )
    Need.objects.filter(pk=need.pk).update(tracking_number=unknown_number)
    unknown = from_ip("203.0.113.41").post(
        url, {"tracking_number": need.tracking_number, "phone_last4": "0000", "stars": 5}
    )

    assert wrong_digits.status_code == unknown.status_code
    assert wrong_digits.templates[0].name == unknown.templates[0].name
    assert _without_csrf(wrong_digits.content) == _without_csrf(unknown.content)
    assert "No need matches this tracking number and phone number" in unknown.content.decode()


def test_password_reset_mails_are_limited_per_address_asked_for(settings, db):
    settings.BAODAO_RATE_PASSWORD_RESET_EMAIL = "2/h"
    url = reverse("password_reset")
    statuses = [
        from_ip(f"198.51.100.{i}").post(url, {"email": "Victim@Example.org"}).status_code
        for i in range(3)
    ]

    assert statuses == [302, 302, 429]


def test_password_reset_is_limited_per_client_address(settings, db):
    settings.BAODAO_RATE_PASSWORD_RESET_IP = "2/h"
    web = from_ip("198.51.100.77")
    url = reverse("password_reset")
    statuses = [web.post(url, {"email": f"user{i}@example.org"}).status_code for i in range(3)]

    assert statuses == [302, 302, 429]

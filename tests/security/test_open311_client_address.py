"""The Open311 per-address throttles count the address the rest of the site counts
(``portal.ratelimits.by_ip``), not whatever ``X-Forwarded-For`` a client sends."""

import uuid

import pytest
from rest_framework.test import APIClient

from portal.api_auth import Open311AnonReadThrottle, Open311AnonThrottle

pytestmark = pytest.mark.django_db

LOOKUP = "/open311/v2/requests/BD00000000.json"


def _fresh_address() -> str:
    # Counts stay in the shared cache (Redis in CI) for an hour: start from an unused address.
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250}"


def test_a_made_up_forwarded_for_does_not_buy_a_fresh_read_budget(monkeypatch, settings):
    settings.BAODAO_CLIENT_IP_HEADER = ""
    monkeypatch.setattr(Open311AnonReadThrottle, "rate", "1/hour")
    anonymous = APIClient(REMOTE_ADDR=_fresh_address())

    first = anonymous.get(LOOKUP, HTTP_X_FORWARDED_FOR="198.51.100.1")
    second = anonymous.get(LOOKUP, HTTP_X_FORWARDED_FOR="198.51.100.2")

    assert first.status_code == 404
    assert second.status_code == 429


def test_a_made_up_forwarded_for_does_not_buy_a_fresh_submission_budget(monkeypatch, settings):
    settings.BAODAO_CLIENT_IP_HEADER = ""
    monkeypatch.setattr(Open311AnonThrottle, "rate", "1/hour")
    anonymous = APIClient(REMOTE_ADDR=_fresh_address())

    first = anonymous.post(
        "/open311/v2/requests.json", {"service_code": "nope"}, HTTP_X_FORWARDED_FOR="203.0.113.1"
    )
    second = anonymous.post(
        "/open311/v2/requests.json", {"service_code": "nope"}, HTTP_X_FORWARDED_FOR="203.0.113.2"
    )

    assert first.status_code == 400
    assert second.status_code == 429


def test_behind_the_configured_proxy_each_client_has_its_own_budget(monkeypatch, settings):
    # With BAODAO_CLIENT_IP_HEADER the right-most entry (the one the proxy appended) counts.
    settings.BAODAO_CLIENT_IP_HEADER = "X-Forwarded-For"
    monkeypatch.setattr(Open311AnonReadThrottle, "rate", "1/hour")
    proxy = APIClient(REMOTE_ADDR="10.0.0.2")
    client_a, client_b = _fresh_address(), _fresh_address()

    assert proxy.get(LOOKUP, HTTP_X_FORWARDED_FOR=f"1.1.1.1, {client_a}").status_code == 404
    assert proxy.get(LOOKUP, HTTP_X_FORWARDED_FOR=f"2.2.2.2, {client_a}").status_code == 429
    assert proxy.get(LOOKUP, HTTP_X_FORWARDED_FOR=client_b).status_code == 404


def test_one_ipv6_64_shares_one_budget(monkeypatch, settings):
    settings.BAODAO_CLIENT_IP_HEADER = ""
    monkeypatch.setattr(Open311AnonReadThrottle, "rate", "1/hour")
    prefix = f"2001:db8:{uuid.uuid4().int % 65535:x}:1"

    assert APIClient(REMOTE_ADDR=f"{prefix}::1").get(LOOKUP).status_code == 404
    assert APIClient(REMOTE_ADDR=f"{prefix}::2").get(LOOKUP).status_code == 429

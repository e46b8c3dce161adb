"""Partner clients and API clients for the API tests."""

from __future__ import annotations

import ipaddress
import itertools
import socket

import pytest
from rest_framework.test import APIClient

from portal import webhooks
from portal.api_auth import Open311AnonReadThrottle, Open311AnonThrottle
from portal.api_clients import register_client
from portal.models import PartnerScope
from resources.services import submit_need
from tests.factories import category

ALL_SCOPES = tuple(PartnerScope.values)
EVENTS = ["need.created", "need.status_changed", "match.accepted", "project.completed"]
_names = itertools.count(1)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _roomy_anonymous_rate(monkeypatch):
    # Anonymous Open311 counts per address live in the shared cache (Redis in CI) for an hour;
    # tests that are not about throttling must not use up 127.0.0.1's allowance.
    monkeypatch.setattr(Open311AnonThrottle, "rate", "100000/hour")
    monkeypatch.setattr(Open311AnonReadThrottle, "rate", "100000/hour")


# What partners' webhook hosts resolve to in the tests (no DNS here): public addresses
# (TEST-NET ranges are not global, so real public ones), unless a test says otherwise.
FAKE_DNS = {
    "partner.example": ["93.184.215.14"],
    "a.example": ["93.184.215.15"],
    "b.example": ["2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
}


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch):
    """socket.getaddrinfo with FAKE_DNS (plus ``fake_dns[name] = [...]`` in a test) for names;
    IP literals and localhost resolve for real (databases, Redis); anything else is unknown."""
    real = socket.getaddrinfo
    table = {name: list(addresses) for name, addresses in FAKE_DNS.items()}

    def getaddrinfo(host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name in table:
            return [
                (
                    socket.AF_INET6 if ":" in address else socket.AF_INET,
                    socket.SOCK_STREAM,
                    socket.IPPROTO_TCP,
                    "",
                    (address, port, 0, 0) if ":" in address else (address, port),
                )
                for address in table[name]
            ]
        try:
            ipaddress.ip_address(str(name).strip("[]").split("%", 1)[0])
        except ValueError:
            if name != "localhost" and name is not None:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.fixture
def make_partner(tree):
    """make_partner(area_key="a", scopes=ALL_SCOPES, **options) -> (client, key)."""

    def make(area_key: str = "a", scopes=ALL_SCOPES, **options):
        client, issued = register_client(
            name=f"Partner {next(_names)}",
            areas=[tree[area_key]],
            scopes=scopes,
            by=None,
            **options,
        )
        return client, issued.key

    return make


def api_for(key: str | None) -> APIClient:
    api = APIClient()
    if key:
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api


@pytest.fixture
def partner_a(make_partner):
    """A partner registered for community A with every scope: (client, APIClient)."""
    client, key = make_partner("a")
    return client, api_for(key)


@pytest.fixture
def api_a(partner_a):
    return partner_a[1]


# --- webhooks ----------------------------------------------------------------------------------


class Receiver:
    """Stands in for partners' servers: records each POST, answers with the next status."""

    def __init__(self, *statuses):
        self.statuses = list(statuses) or [200]
        self.calls = []

    def __call__(self, url, body, headers):
        self.calls.append((url, body, headers))
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if isinstance(status, Exception):
            raise status
        return status


@pytest.fixture
def receiver(monkeypatch):
    """receiver(*statuses) -> a Receiver installed as the webhooks' transport."""

    def install(*statuses):
        fake = Receiver(*statuses)
        monkeypatch.setattr(webhooks, "transport", fake)
        return fake

    return install


@pytest.fixture
def subscribed(make_partner):
    """subscribed(area_key="a", events=EVENTS, scopes=None) -> (subscription, secret)."""

    def make(area_key="a", events=EVENTS, scopes=None):
        options = {} if scopes is None else {"scopes": scopes}
        client, _key = make_partner(area_key, **options)
        subscription, secret = webhooks.subscribe(
            client=client, url="https://partner.example/hook", events=events
        )
        return subscription, secret

    return make


def submit_need_in(tree, community="a", **changes):
    """A resident's need in ``community`` (emits need.created)."""
    return submit_need(
        community=tree[community],
        category=category(),
        title="送餐",
        description="午餐",
        requester_name="王建国",
        requester_phone="13812345678",
        **changes,
    )

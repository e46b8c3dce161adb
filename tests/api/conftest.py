"""Partner clients and API clients for the API tests."""

from __future__ import annotations

import itertools

import pytest
from rest_framework.test import APIClient

from portal.api_auth import Open311AnonThrottle
from portal.api_clients import register_client
from portal.models import PartnerScope

ALL_SCOPES = tuple(PartnerScope.values)
_names = itertools.count(1)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _roomy_anonymous_rate(monkeypatch):
    # Anonymous Open311 counts per address live in the shared cache (Redis in CI) for an hour;
    # tests that are not about throttling must not use up 127.0.0.1's allowance.
    monkeypatch.setattr(Open311AnonThrottle, "rate", "100000/hour")


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

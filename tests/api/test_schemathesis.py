"""Property-based tests of the whole API against its own OpenAPI schema (schemathesis, in
process through the WSGI app; no server). For every operation, generated requests — valid and
not — must never give a 5xx, and every response must match the schema: status codes, content
types and bodies."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from portal.wsgi import application
from tests.api import records

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)

# Left out on purpose: an empty filter (``?status=``) means "no filter" rather than a 400, and
# a schema-valid request naming codes that do not exist (a random area or category) is a 400.
NOT_CHECKED = [checks.negative_data_rejection, checks.positive_data_acceptance]


@pytest.fixture
def _keep_the_test_connection():
    """Calling the WSGI app directly fires request_finished, whose handler would close the
    connection holding the test's transaction (Django's test client disconnects it too)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def partner_headers(tree, make_partner, _keep_the_test_connection):
    """A partner of community A with every scope, and a record of each kind in A and B."""
    client, key = make_partner("a", rate_per_minute=100000)
    for make in (
        records.need,
        records.resource,
        records.project,
        records.match,
        records.activity,
        records.checkin,
        records.service_record,
        records.enrollment,
    ):
        make(tree["a"], client)
        make(tree["b"], client)
    return {"Authorization": f"Bearer {key}"}


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
@pytest.mark.django_db
def test_the_api_matches_its_schema_and_never_fails(case, partner_headers):
    case.call_and_validate(headers=partner_headers, excluded_checks=NOT_CHECKED)

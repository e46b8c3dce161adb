"""Periods chosen by GET parameters: dates far outside the programme's years fall back to the
current period instead of failing."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from evaluation.kpi.periods import month_of, parse_period, quarter_of, year_of
from portal.models import Role
from tests.factories import user_with_role

TODAY = date(2026, 3, 10)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"period": "month", "at": "9999-12-15"}, month_of(TODAY)),
        ({"period": "year", "at": "0001-06-01"}, year_of(TODAY)),
        ({"period": "quarter", "at": "1999-12-31"}, quarter_of(TODAY)),
        ({"period": "custom", "from": "0001-01-01", "to": "0001-03-01"}, month_of(TODAY)),
        ({"period": "custom", "from": "2026-01-01", "to": "2101-01-01"}, month_of(TODAY)),
    ],
)
def test_a_date_outside_the_allowed_range_falls_back_to_the_current_period(params, expected):
    assert parse_period(params, today=TODAY) == expected


def test_the_previous_period_of_the_first_allowed_year_is_computed():
    period = parse_period({"period": "year", "at": "2000-06-01"}, today=TODAY)

    assert period.previous().start == date(1999, 1, 1)


@pytest.mark.parametrize(
    "params",
    [
        {"period": "month", "at": "9999-12-15"},
        {"period": "year", "at": "0001-06-01"},
        {"period": "custom", "from": "0001-01-01", "to": "0001-01-31"},
    ],
)
def test_the_kpi_page_answers_a_date_out_of_range_with_the_current_month(client, tree, params):
    client.force_login(user_with_role(Role.DISTRICT_OFFICIAL, tree["district"]))

    response = client.get(reverse("evaluation:kpi_home"), params)

    assert response.status_code == 200

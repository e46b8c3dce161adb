"""KPIs through the partner API: the same figures as the /kpi/ pages, scoped by the partner's
areas, behind the ``kpi:read`` scope, with field messages for a bad period."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluation.services.kpi import rollup_kpis
from portal.models import Area, PartnerScope, Role
from tests.api.conftest import ALL_SCOPES, api_for
from tests.evaluation.kpi_world import D, at, build_community_a, build_other_communities
from tests.factories import AreaFactory, NeedFactory, ResourceFactory, user_with_role

pytestmark = pytest.mark.django_db

MARCH = {"period": "month", "at": D.isoformat()}
# The same budget as the /kpi/ pages (tests/evaluation/test_kpi_pages.py): most of it is the
# live extraction of today, a fixed set of queries whatever the number of areas.
QUERY_BUDGET = 40


@pytest.fixture
def world(tree):
    build_community_a(tree["a"])
    build_other_communities(tree["b"], tree["c"])
    rollup_kpis(day=D)
    return tree


@pytest.fixture
def district_api(world, make_partner):
    """A partner of the whole district with every scope."""
    _client, key = make_partner("district")
    return api_for(key)


def _page_board(client, world, code: str, params: dict):
    official = user_with_role(Role.DISTRICT_OFFICIAL, world["district"], username="official")
    client.force_login(official)
    response = client.get(reverse("evaluation:kpi_area", args=[code]), params)
    assert response.status_code == 200
    return response.context["board"]


def _plain(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _as_api(figure) -> dict:
    """What the API must say for a figure of the page."""
    return {
        "code": figure.code,
        "value": _plain(figure.value),
        "numerator": _plain(figure.parts.numerator),
        "denominator": _plain(figure.parts.denominator),
        "target": _plain(figure.target),
    }


def _numbers(kpis: list[dict]) -> list[dict]:
    keys = ("code", "value", "numerator", "denominator", "target")
    return [{key: kpi[key] for key in keys} for kpi in kpis]


def test_the_kpis_of_an_area_equal_the_kpi_page(client, world, district_api):
    board = _page_board(client, world, world["district"].code, MARCH)

    response = district_api.get("/api/v1/kpis/", {"area": world["district"].code, **MARCH})

    assert response.status_code == 200, response.content
    assert _numbers(response.json()["kpis"]) == [_as_api(f) for f in board.figures]


def test_the_response_rate_of_the_district_is_counted_from_the_roll_ups(world, district_api):
    body = district_api.get("/api/v1/kpis/", {"area": world["district"].code, **MARCH}).json()

    rate = next(k for k in body["kpis"] if k["code"] == "need_response_rate")
    # A (2 of 4) + B (1 of 2) + C (2 of 3) accepted in time on D, as on the page.
    assert (rate["numerator"], rate["denominator"], rate["value"]) == ("5", "9", "55.6")
    assert (rate["target"], rate["unit"], rate["meets_target"]) == ("95", "%", False)


def test_the_period_is_given_with_its_first_and_last_day(world, district_api):
    body = district_api.get("/api/v1/kpis/", MARCH).json()

    assert body["period"] == {
        "kind": "month",
        "start": "2026-03-01",
        "end": "2026-03-31",
        "label": "2026-03",
    }


def test_the_children_equal_the_drill_down_of_the_kpi_page(client, world, district_api):
    board = _page_board(client, world, world["street1"].code, MARCH)

    response = district_api.get("/api/v1/kpis/children/", {"area": world["street1"].code, **MARCH})

    assert response.status_code == 200, response.content
    children = response.json()["children"]
    assert [child["area"]["code"] for child in children] == [r.area.code for r in board.children]
    for child, row in zip(children, board.children, strict=True):
        assert _numbers(child["kpis"]) == [_as_api(f) for f in row.figures]


def test_a_community_has_no_children(world, district_api):
    body = district_api.get("/api/v1/kpis/children/", {"area": world["a"].code, **MARCH}).json()

    assert body["children"] == []


def test_the_default_area_is_the_highest_area_of_the_partner(world, district_api):
    body = district_api.get("/api/v1/kpis/", MARCH).json()

    assert body["area"]["code"] == world["district"].code


def test_labels_are_the_english_names_whatever_the_language(world, district_api):
    body = district_api.get("/api/v1/kpis/", MARCH, HTTP_ACCEPT_LANGUAGE="zh-hans").json()

    labels = {kpi["code"]: (kpi["label"], kpi["unit"]) for kpi in body["kpis"]}
    assert labels["need_response_rate"] == ("Need response rate", "%")
    assert labels["need_response_time"] == ("Need response time (median)", "h")


def test_a_partner_gets_404_for_an_area_of_another_partner(world, make_partner):
    _client, key_b = make_partner("b")
    api_b = api_for(key_b)

    for url in ("/api/v1/kpis/", "/api/v1/kpis/children/"):
        response = api_b.get(url, {"area": world["a"].code, **MARCH})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_a_partner_reads_the_kpis_of_its_own_community(world, make_partner):
    _client, key_b = make_partner("b")

    response = api_for(key_b).get("/api/v1/kpis/", {"area": world["b"].code, **MARCH})

    assert response.status_code == 200
    assert response.json()["area"]["code"] == world["b"].code


def test_a_community_partner_does_not_reach_the_street_above(world, make_partner):
    _client, key = make_partner("a")

    response = api_for(key).get("/api/v1/kpis/", {"area": world["street1"].code})

    assert response.status_code == 404


def test_a_key_without_kpi_read_gets_403(world, make_partner):
    scopes = [scope for scope in ALL_SCOPES if scope != PartnerScope.KPI_READ]
    _client, key = make_partner("district", scopes=scopes)

    for url in ("/api/v1/kpis/", "/api/v1/kpis/children/"):
        response = api_for(key).get(url, MARCH)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "missing_scope"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "week"}, "period"),
        ({"period": "month", "at": "2026-02-30"}, "at"),
        ({"period": "year", "at": "1999-12-31"}, "at"),
        ({"period": "custom", "to": "2026-03-31"}, "from"),
        ({"period": "custom", "from": "2026-03-01"}, "to"),
        ({"period": "custom", "from": "2026-03-31", "to": "2026-03-01"}, "to"),
        ({"period": "custom", "from": "2024-01-01", "to": "2026-03-31"}, "from"),
    ],
)
def test_a_bad_period_is_a_400_naming_the_field(world, district_api, params, field):
    response = district_api.get("/api/v1/kpis/", params)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert list(error["fields"]) == [field]


def test_a_custom_period_runs_from_its_first_to_its_last_day(world, district_api):
    params = {"period": "custom", "from": "2026-03-10", "to": "2026-03-10"}

    body = district_api.get("/api/v1/kpis/", params).json()

    assert (body["period"]["start"], body["period"]["end"]) == ("2026-03-10", "2026-03-10")
    rate = next(k for k in body["kpis"] if k["code"] == "need_response_rate")
    assert (rate["numerator"], rate["denominator"]) == ("5", "9")


def _many_communities(tree, count: int) -> None:
    """``count`` more communities under street 1, each with a need, rolled up on D."""
    for n in range(count):
        community = AreaFactory(level=Area.Level.COMMUNITY, parent=tree["street1"], name=f"C{n}")
        NeedFactory(
            community=community, submitted_at=at(0, 9), status="accepted", accepted_at=at(0, 10)
        )
        ResourceFactory(area=community)
    rollup_kpis(day=D)


@pytest.mark.parametrize("extra", [0, 30])
@pytest.mark.parametrize("params", [MARCH, {}], ids=["past-month", "this-month-live"])
def test_children_run_a_bounded_number_of_queries(
    world, district_api, extra, params, django_assert_max_num_queries
):
    _many_communities(world, extra)

    with django_assert_max_num_queries(QUERY_BUDGET):
        response = district_api.get(
            "/api/v1/kpis/children/", {"area": world["street1"].code, **params}
        )

    assert len(response.json()["children"]) == 2 + extra


@pytest.mark.parametrize("params", [MARCH, {}], ids=["past-month", "this-month-live"])
def test_the_kpis_of_an_area_run_a_bounded_number_of_queries(
    world, district_api, params, django_assert_max_num_queries
):
    _many_communities(world, 30)

    with django_assert_max_num_queries(QUERY_BUDGET):
        response = district_api.get("/api/v1/kpis/", params)

    assert response.status_code == 200


def test_today_is_counted_live_for_the_partner(tree, make_partner):
    now = timezone.now()
    NeedFactory(
        community=tree["a"],
        submitted_at=now - timedelta(minutes=30),
        due_at=now + timedelta(hours=24),
        status="accepted",
        accepted_at=now - timedelta(minutes=10),
    )
    _client, key = make_partner("a")

    body = api_for(key).get("/api/v1/kpis/", {"area": tree["a"].code}).json()

    rate = next(k for k in body["kpis"] if k["code"] == "need_response_rate")
    assert (rate["numerator"], rate["denominator"], rate["value"]) == ("1", "1", "100")


def test_an_empty_area_means_the_partners_highest_area(world, district_api):
    body = district_api.get("/api/v1/kpis/", {"area": "", **MARCH}).json()

    assert body["area"]["code"] == world["district"].code

"""KPI pages: the official's home, drill-down, scoping by URL, live today, targets, query counts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluation.services.kpi import rollup_kpis
from portal.models import Area, Role
from portal.services import set_setting
from tests.evaluation.kpi_world import D, at, build_community_a, build_other_communities
from tests.factories import AreaFactory, NeedFactory, ResourceFactory, category, user_with_role

MARCH = {"period": "month", "at": D.isoformat()}


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def world(tree):
    build_community_a(tree["a"])
    build_other_communities(tree["b"], tree["c"])
    rollup_kpis(day=D)
    return tree


@pytest.fixture
def official(tree):
    return user_with_role(Role.DISTRICT_OFFICIAL, tree["district"], username="official")


@pytest.fixture
def other_district(tree):
    district = AreaFactory(level=Area.Level.DISTRICT, parent=tree["city"], name="District B")
    street = AreaFactory(level=Area.Level.STREET, parent=district, name="Street B1")
    AreaFactory(level=Area.Level.COMMUNITY, parent=street, name="Community B1a")
    return district


def figure(response, code):
    return next(f for f in response.context["board"].figures if f.code == code)


def test_the_officials_home_shows_the_district_tiles(client, world, official):
    client.force_login(official)

    response = client.get(reverse("evaluation:kpi_home"), MARCH)

    assert response.status_code == 200
    assert response.context["board"].area == world["district"]
    rate = figure(response, "need_response_rate")
    # A (2 of 4) + B (1 of 2) + C (2 of 3) accepted in time on D.
    assert (rate.parts.numerator, rate.parts.denominator) == (5, 9)
    assert rate.target == Decimal("95")
    assert rate.status == "bad"


def test_a_tile_shows_value_target_and_status(client, world, official):
    client.force_login(official)

    html = client.get(reverse("evaluation:kpi_home"), MARCH).content.decode()

    assert "Need response rate" in html
    assert "55.6" in html
    assert "Target ≥ 95%" in html
    assert "missed" in html


def test_drill_down_lists_the_streets_then_the_communities(client, world, official):
    client.force_login(official)

    streets = client.get(reverse("evaluation:kpi_area", args=[world["district"].code]), MARCH)
    communities = client.get(reverse("evaluation:kpi_area", args=[world["street1"].code]), MARCH)

    assert [r.area for r in streets.context["board"].children] == [
        world["street1"],
        world["street2"],
    ]
    assert [r.area for r in communities.context["board"].children] == [world["a"], world["c"]]


def test_a_community_page_has_no_areas_below(client, world, official):
    client.force_login(official)

    response = client.get(reverse("evaluation:kpi_area", args=[world["a"].code]), MARCH)

    assert response.status_code == 200
    assert response.context["board"].children == []
    assert figure(response, "closed_loop_rate").value == Decimal("33.3")


def test_drill_down_table_sorts_by_a_kpi(client, world, official):
    client.force_login(official)
    url = reverse("evaluation:kpi_area", args=[world["street1"].code])

    ascending = client.get(url, {**MARCH, "sort": "need_response_rate"})
    descending = client.get(url, {**MARCH, "sort": "-need_response_rate"})

    # A: 50 %, C: 66.7 %.
    assert [r.area for r in ascending.context["board"].children] == [world["a"], world["c"]]
    assert [r.area for r in descending.context["board"].children] == [world["c"], world["a"]]


def test_breadcrumbs_stop_at_the_top_of_the_users_reach(client, world, street_officer):
    client.force_login(street_officer)

    response = client.get(reverse("evaluation:kpi_area", args=[world["a"].code]), MARCH)

    assert response.context["board"].trail == [world["street1"], world["a"]]


def test_an_official_of_another_district_gets_404_by_url(client, world, other_district):
    outsider = user_with_role(Role.DISTRICT_OFFICIAL, other_district)
    client.force_login(outsider)

    for code in (world["district"].code, world["street1"].code, world["a"].code):
        assert client.get(reverse("evaluation:kpi_area", args=[code])).status_code == 404


def test_an_officials_home_is_their_own_district(client, world, other_district):
    outsider = user_with_role(Role.DISTRICT_OFFICIAL, other_district)
    client.force_login(outsider)

    response = client.get(reverse("evaluation:kpi_home"), MARCH)

    assert response.context["board"].area == other_district
    assert figure(response, "need_response_rate").value is None


def test_a_community_worker_cannot_open_the_street_page(client, world, worker):
    client.force_login(worker)

    assert (
        client.get(reverse("evaluation:kpi_area", args=[world["street1"].code])).status_code == 404
    )
    assert client.get(reverse("evaluation:kpi_area", args=[world["a"].code])).status_code == 200


def test_a_member_without_dashboard_access_is_refused(client, world):
    member = user_with_role(Role.MEMBER, world["a"])
    client.force_login(member)

    assert client.get(reverse("evaluation:kpi_home")).status_code == 403


def test_todays_figures_are_computed_live_without_a_roll_up(client, tree, official, monkeypatch):
    now = timezone.now()
    if timezone.localtime(now).hour < 1:
        # Half an hour ago must still be today (local time): move past the first hour.
        now += timedelta(hours=1)
        monkeypatch.setattr(timezone, "now", lambda: now)
    NeedFactory(
        community=tree["a"],
        submitted_at=now - timedelta(minutes=30),
        status="accepted",
        accepted_at=now - timedelta(minutes=10),
    )
    client.force_login(official)

    response = client.get(reverse("evaluation:kpi_home"))

    rate = figure(response, "need_response_rate")
    assert (rate.parts.numerator, rate.parts.denominator) == (1, 1)
    assert figure(response, "need_response_time").value == Decimal("0.5")


def test_a_target_set_for_the_district_and_year_replaces_the_default(client, world, official):
    city_admin = user_with_role(Role.CITY_ADMIN, world["city"])
    set_setting(
        key="kpi.target.need_response_rate",
        area=world["district"],
        value="55",
        by=city_admin,
        year=D.year,
    )
    client.force_login(official)

    response = client.get(reverse("evaluation:kpi_home"), MARCH)
    other_year = client.get(reverse("evaluation:kpi_home"), {"period": "month", "at": "2025-03-01"})

    assert figure(response, "need_response_rate").target == Decimal("55")
    assert figure(response, "need_response_rate").status == "good"
    assert figure(other_year, "need_response_rate").target == Decimal("95")


def test_a_streets_own_target_applies_to_its_row_in_the_drill_down(client, world, official):
    city_admin = user_with_role(Role.CITY_ADMIN, world["city"])
    set_setting(key="kpi.target.closed_loop_rate", area=world["street2"], value="10", by=city_admin)
    client.force_login(official)

    response = client.get(reverse("evaluation:kpi_area", args=[world["district"].code]), MARCH)

    targets = {
        r.area: r.figure("closed_loop_rate").target for r in response.context["board"].children
    }
    assert targets == {world["street1"]: Decimal("85"), world["street2"]: Decimal("10")}


def test_the_trend_has_twelve_months_ending_with_the_period(client, world, official):
    client.force_login(official)

    response = client.get(reverse("evaluation:kpi_home"), MARCH)

    trend = response.context["board"].trend
    assert len(trend) == 12
    assert trend[-1].month.label == "2026-03"
    assert trend[-1].values["matching_accuracy"] == Decimal("50.0")


def test_the_previous_period_gives_the_trend_arrow(client, world, official):
    client.force_login(official)

    response = client.get(reverse("evaluation:kpi_home"), {"period": "month", "at": "2026-04-01"})

    accuracy = figure(response, "matching_accuracy")
    assert (accuracy.value, accuracy.previous, accuracy.trend) == (None, Decimal("50.0"), "")


def test_quarter_year_and_custom_periods_cover_their_days(client, world, official):
    client.force_login(official)
    url = reverse("evaluation:kpi_home")

    quarter = client.get(url, {"period": "quarter", "at": "2026-02-15"}).context["board"].period
    year = client.get(url, {"period": "year", "at": "2026-02-15"}).context["board"].period
    custom = client.get(url, {"period": "custom", "from": "2026-03-12", "to": "2026-03-05"})

    assert (quarter.start.isoformat(), quarter.end.isoformat()) == ("2026-01-01", "2026-03-31")
    assert (year.start.isoformat(), year.end.isoformat()) == ("2026-01-01", "2026-12-31")
    assert figure(custom, "matching_accuracy").value == Decimal("50.0")


def test_the_heat_map_sets_open_needs_against_available_resources(client, tree, official):
    meals = category("meal_assistance")
    NeedFactory.create_batch(3, community=tree["a"], category=meals)
    ResourceFactory(area=tree["b"], categories=[meals])
    client.force_login(official)

    response = client.get(reverse("evaluation:kpi_area", args=[tree["district"].code]))

    heat = response.context["board"].heat_map
    assert heat.columns == [tree["street1"], tree["street2"]]
    assert heat.rows == [(meals, [3, -1])]


def test_top_and_bottom_communities_rank_the_chosen_kpi(client, world, official):
    client.force_login(official)

    response = client.get(reverse("evaluation:kpi_home"), {**MARCH, "kpi": "need_response_rate"})

    top = [(r.area, r.value) for r in response.context["board"].top]
    # C: 66.7 %, then A and B level at 50 %.
    assert top[0] == (world["c"], Decimal("66.7"))
    assert sorted(top[1:], key=lambda row: row[0].code) == [
        (world["a"], Decimal("50.0")),
        (world["b"], Decimal("50.0")),
    ]


def test_every_chart_has_its_table_and_payload(client, world, official):
    client.force_login(official)

    html = client.get(reverse("evaluation:kpi_home"), MARCH).content.decode()

    for chart in ("bar", "trend", "heat", "distribution", "ranking"):
        assert f'data-chart="{chart}"' in html or chart == "heat"
    assert 'id="kpi-chart-data"' in html
    assert 'id="drilldown"' in html
    assert "vendor/echarts.min.js" in html


def test_the_nav_shows_kpi_to_street_officers_and_not_to_community_workers(
    client, world, street_officer, worker
):
    client.force_login(street_officer)
    assert (
        reverse("evaluation:kpi_home")
        in client.get(reverse("resources:dashboard")).content.decode()
    )

    client.force_login(worker)
    html = client.get(reverse("resources:dashboard")).content.decode()
    assert f'href="{reverse("evaluation:kpi_home")}">KPI<' not in html


def test_the_staff_dashboard_loads_the_community_tiles(client, world, worker):
    client.force_login(worker)

    dashboard = client.get(reverse("resources:dashboard")).content.decode()
    tiles = client.get(reverse("evaluation:kpi_tiles"), headers={"HX-Request": "true"})

    assert f'hx-get="{reverse("evaluation:kpi_tiles")}"' in dashboard
    assert tiles.status_code == 200
    assert tiles.context["area"] == world["a"]
    assert [f.code for f in tiles.context["figures"]][:2] == [
        "need_response_rate",
        "need_response_time",
    ]


def _many_communities(tree, count: int) -> None:
    """``count`` more communities under street 1, each with a need, rolled up on D."""
    for n in range(count):
        community = AreaFactory(level=Area.Level.COMMUNITY, parent=tree["street1"], name=f"C{n}")
        NeedFactory(
            community=community, submitted_at=at(0, 9), status="accepted", accepted_at=at(0, 10)
        )
        ResourceFactory(area=community)
    rollup_kpis(day=D)


@pytest.mark.parametrize("extra", [0, 40])
def test_the_drill_down_page_runs_a_bounded_number_of_queries(
    client, world, official, extra, django_assert_max_num_queries
):
    _many_communities(world, extra)
    client.force_login(official)
    url = reverse("evaluation:kpi_area", args=[world["street1"].code])

    with django_assert_max_num_queries(60):
        response = client.get(url, MARCH)

    assert len(response.context["board"].children) == 2 + extra


@pytest.mark.parametrize("extra", [0, 40])
def test_the_home_page_runs_a_bounded_number_of_queries(
    client, world, official, extra, django_assert_max_num_queries
):
    _many_communities(world, extra)
    client.force_login(official)

    with django_assert_max_num_queries(60):
        client.get(reverse("evaluation:kpi_home"))


def test_member_participation_counts_service_in_the_chosen_period_only(world, official):
    from evaluation.kpi.periods import Period
    from evaluation.selectors_kpi import period_figures

    # m1 served on D-3 and D, m2's service was voided: 1 of 2 in the year so far.
    after_d = Period("custom", D + timedelta(days=1), D + timedelta(days=2))
    around_d = Period("custom", D - timedelta(days=1), D + timedelta(days=2))

    def participation(period):
        parts = period_figures(
            user=official, areas=[world["a"]], period=period, today=D + timedelta(days=5), live=None
        )[world["a"].pk]["member_participation"]
        return parts.numerator, parts.denominator

    assert (participation(after_d), participation(around_d)) == ((0, 2), (1, 2))


def test_resource_utilisation_counts_use_in_the_chosen_period_only(world, official):
    from evaluation.kpi.periods import Period
    from evaluation.selectors_kpi import period_figures

    # The match accepted on D used r2; the project running since D-5 used r1.
    later = Period("custom", D + timedelta(days=1), D + timedelta(days=2))
    before_match = Period("custom", D - timedelta(days=3), D - timedelta(days=1))

    def utilisation(period):
        parts = period_figures(
            user=official, areas=[world["a"]], period=period, today=D + timedelta(days=5), live=None
        )[world["a"].pk]["resource_utilisation"]
        return parts.numerator, parts.denominator

    assert (utilisation(later), utilisation(before_match)) == ((1, 3), (1, 3))

"""The pure KPI formulas: how parts add up, medians, targets and trends."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from evaluation.kpi.definitions import (
    KPI_BY_CODE,
    NeedFacts,
    Parts,
    combine_days,
    hour_bucket,
    is_closed_loop,
    median_from_histogram,
    meets_target,
    response_bands,
    response_outcome,
    sum_parts,
    trend,
    value_of,
)

RATE = KPI_BY_CODE["need_response_rate"]
TIME = KPI_BY_CODE["need_response_time"]
ENROLLMENT = KPI_BY_CODE["member_enrollment_rate"]
HOURS = KPI_BY_CODE["volunteer_hours"]
T0 = datetime(2026, 3, 10, 9, 0)


def facts(**fields) -> NeedFacts:
    fields.setdefault("community_id", 1)
    fields.setdefault("status", "submitted")
    fields.setdefault("submitted_at", T0)
    fields.setdefault("due_at", T0 + timedelta(hours=24))
    return NeedFacts(**fields)


def test_a_rate_is_the_pooled_ratio_not_the_average_of_the_areas_rates():
    small = Parts(Decimal(1), Decimal(1))  # 100 %
    large = Parts(Decimal(1), Decimal(9))  # 11.1 %

    assert value_of(RATE, sum_parts([small, large])) == Decimal("20.0")


@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.booleans()),
        min_size=1,
        max_size=60,
    )
)
def test_summing_the_communities_parts_gives_the_figure_of_all_their_records(outcomes):
    by_community: dict[int, Parts] = {}
    for community, in_time in outcomes:
        by_community.setdefault(community, Parts()).add(Parts(Decimal(int(in_time)), Decimal(1)))
    pooled = Parts(Decimal(sum(in_time for _c, in_time in outcomes)), Decimal(len(outcomes)))

    assert value_of(RATE, sum_parts(by_community.values())) == value_of(RATE, pooled)


def test_flow_parts_add_up_over_the_days_of_a_period():
    days = {
        date(2026, 3, 1): Parts(Decimal(9), Decimal(10)),
        date(2026, 3, 2): Parts(Decimal(1), Decimal(10)),
    }

    parts = combine_days(RATE, days, last_day=date(2026, 3, 31))

    assert (parts.numerator, parts.denominator) == (Decimal(10), Decimal(20))


def test_stock_parts_of_a_period_are_those_of_its_last_day():
    days = {
        date(2026, 3, 1): Parts(Decimal(1), Decimal(10)),
        date(2026, 3, 31): Parts(Decimal(8), Decimal(10)),
    }

    parts = combine_days(ENROLLMENT, days, last_day=date(2026, 3, 31))

    assert (parts.numerator, parts.denominator) == (Decimal(8), Decimal(10))


def test_a_stock_kpi_whose_last_day_has_no_parts_counts_as_zero_not_as_an_earlier_day():
    days = {date(2026, 3, 1): Parts(Decimal(1), Decimal(10))}

    assert combine_days(ENROLLMENT, days, last_day=date(2026, 3, 31)).denominator == 0


def test_volunteer_hours_sum_the_hours_and_take_the_members_of_the_last_day():
    days = {
        date(2026, 3, 1): Parts(Decimal(6), Decimal(3)),
        date(2026, 3, 2): Parts(Decimal(4), Decimal(4)),
    }

    parts = combine_days(HOURS, days, last_day=date(2026, 3, 2))

    assert value_of(HOURS, parts) == Decimal("2.50")


def test_median_of_an_odd_count_interpolates_inside_the_middle_hour():
    assert median_from_histogram({"0": 1, "2": 1, "50": 1}) == Decimal("2.5")


def test_median_of_an_even_count_sits_at_the_boundary_between_the_middle_values():
    assert median_from_histogram({"1": 2, "5": 2}) == Decimal("2.0")


def test_median_of_nothing_is_none():
    assert median_from_histogram({}) is None
    assert value_of(TIME, Parts()) is None


def test_response_hours_beyond_a_week_share_the_last_bucket():
    assert hour_bucket(Decimal("500.2")) == "168"
    assert hour_bucket(Decimal("11.99")) == "11"


def test_a_rate_without_a_denominator_has_no_value():
    assert value_of(RATE, Parts(Decimal(0), Decimal(0))) is None


def test_an_answer_at_the_due_time_is_in_time():
    outcome = response_outcome(
        facts(accepted_at=T0 + timedelta(hours=24)), now=T0 + timedelta(days=9)
    )

    assert outcome == (T0 + timedelta(hours=24), True)


def test_a_late_answer_counts_as_late_on_the_day_the_clock_ran_out():
    need = facts(status="accepted", accepted_at=T0 + timedelta(hours=30))

    assert response_outcome(need, now=T0 + timedelta(days=9)) == (T0 + timedelta(hours=24), False)


def test_a_rejection_inside_the_clock_counts_as_not_accepted_on_the_day_of_the_rejection():
    need = facts(status="rejected", closed_at=T0 + timedelta(hours=2))

    assert response_outcome(need, now=T0 + timedelta(days=9)) == (T0 + timedelta(hours=2), False)


def test_an_unanswered_need_inside_its_clock_has_no_outcome_yet():
    assert response_outcome(facts(), now=T0 + timedelta(hours=23)) is None


def test_a_merged_need_never_counts():
    assert response_outcome(facts(status="merged"), now=T0 + timedelta(days=9)) is None


def test_a_resolved_need_without_a_rating_is_not_closed_loop():
    assert not is_closed_loop(facts(status="resolved"))
    assert is_closed_loop(facts(status="evaluated", rating=2))


def test_lower_is_better_for_the_response_time_target():
    assert meets_target(TIME, Decimal("12"), Decimal("24")) is True
    assert meets_target(TIME, Decimal("30"), Decimal("24")) is False
    assert meets_target(RATE, Decimal("94.9"), Decimal("95")) is False


def test_a_kpi_reported_without_target_is_neither_red_nor_green():
    assert meets_target(HOURS, Decimal("3"), None) is None


def test_trend_compares_with_the_previous_period():
    assert trend(Decimal(2), Decimal(1)) == "up"
    assert trend(Decimal(1), Decimal(2)) == "down"
    assert trend(Decimal(1), Decimal(1)) == "flat"
    assert trend(Decimal(1), None) == ""


def test_response_bands_regroup_the_hours():
    bands = dict(response_bands({"0": 2, "3": 1, "30": 4, "168": 1}))

    assert bands["0–2 h"] == 2
    assert bands["2–4 h"] == 1
    assert bands["24–48 h"] == 4
    assert bands["≥ 48 h"] == 1

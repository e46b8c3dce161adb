"""The pure scoring of the annual evaluation: known answers on hand-built cohorts, and properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluation.annual.scoring import (
    DEFAULT_WEIGHTS,
    Category,
    SubjectFigures,
    SubjectKind,
    Weights,
    competition_ranks,
    final_score,
    score_cohort,
    weight_problems,
)

D = Decimal
MEMBER = SubjectKind.MEMBER
UNIT = SubjectKind.UNIT


def member(key, **figures):
    return SubjectFigures(key=key, kind=MEMBER, **figures)


def test_the_best_member_of_the_cohort_in_everything_scores_100():
    cohort = [
        member("a", hours=D("10"), resources_used=2, projects_completed=1, mean_rating=D("5"),
               needs_resolved=4, special_group_needs=2, active_months=12, consecutive_years=5),
        member("b", hours=D("5"), needs_resolved=2, active_months=6, consecutive_years=1),
    ]  # fmt: skip

    scores = score_cohort(cohort, DEFAULT_WEIGHTS)

    assert scores["a"].computed == D("100.00")


def test_a_member_is_scored_against_the_best_of_the_cohort_with_known_figures():
    cohort = [
        member("a", hours=D("10"), resources_used=2, projects_completed=1, mean_rating=D("5"),
               needs_resolved=4, special_group_needs=2, active_months=12, consecutive_years=5),
        member("b", hours=D("5"), needs_resolved=2, active_months=6, consecutive_years=1),
    ]  # fmt: skip

    b = score_cohort(cohort, DEFAULT_WEIGHTS)["b"]

    assert b.indicators == {
        "hours": D("50.00"),
        "resources_used": D("0.00"),
        "projects_completed": D("0.00"),
        "mean_rating": D("50.00"),  # nobody rated b: the neutral three stars
        "needs_resolved": D("50.00"),
        "special_group_needs": D("0.00"),
        "activities_served": None,  # nobody served in an activity: left out
        "active_months": D("50.00"),
        "consecutive_years": D("20.00"),
    }
    assert b.categories == {
        Category.INPUT_OUTPUT: D("16.67"),
        Category.SATISFACTION: D("50.00"),
        Category.SOCIAL_BENEFIT: D("25.00"),
        Category.SUSTAINABILITY: D("35.00"),
    }
    # (16.67 × 20 + 50 × 40 + 25 × 25 + 35 × 15) / 100 = 34.834
    assert b.computed == D("34.83")


def test_units_are_not_scored_on_hours():
    u = score_cohort([SubjectFigures(key="u", kind=UNIT, resources_used=1)], DEFAULT_WEIGHTS)["u"]

    assert "hours" not in u.indicators


def test_an_indicator_nobody_in_the_cohort_has_is_left_out_of_its_category():
    cohort = [
        SubjectFigures(key="u", kind=UNIT, resources_used=1, mean_rating=D("4"), needs_resolved=1,
                       special_group_needs=1, active_months=3, consecutive_years=2),
    ]  # fmt: skip

    u = score_cohort(cohort, DEFAULT_WEIGHTS)["u"]

    assert u.indicators["projects_completed"] is None
    assert u.categories[Category.INPUT_OUTPUT] == D("100.00")  # resources only
    assert u.categories[Category.SATISFACTION] == D("75.00")
    assert u.categories[Category.SUSTAINABILITY] == D("32.50")
    # (100 × 20 + 75 × 40 + 100 × 25 + 32.5 × 15) / 100 = 79.875, half up
    assert u.computed == D("79.88")


def test_the_weights_decide_the_computed_score():
    cohort = [member("a", mean_rating=D("5")), member("b", hours=D("3"))]
    heavy_satisfaction = Weights(D("10"), D("70"), D("10"), D("10"))

    scores = score_cohort(cohort, heavy_satisfaction)

    # Nobody has any social benefit: that category is left out and 10/70/10 scale to 90.
    assert scores["a"].weights == Weights(D("11.11"), D("77.78"), D("0"), D("11.11"))
    assert scores["a"].computed == D("77.78")  # 100 × 70 / 90
    assert scores["b"].computed == D("50.00")  # (100 × 10 + 50 × 70) / 90


def test_with_something_in_every_category_the_weights_stay_as_set():
    cohort = [member("a", hours=D("1"), needs_resolved=1), member("b")]

    assert score_cohort(cohort, DEFAULT_WEIGHTS)["a"].weights == DEFAULT_WEIGHTS


def test_members_and_units_cannot_share_a_cohort():
    with pytest.raises(ValueError):
        score_cohort([member("a"), SubjectFigures(key="u", kind=UNIT)], DEFAULT_WEIGHTS)


def test_negative_hours_after_a_correction_count_as_none():
    scores = score_cohort([member("a", hours=D("-2")), member("b", hours=D("4"))], DEFAULT_WEIGHTS)

    assert scores["a"].indicators["hours"] == D("0.00")


@pytest.mark.parametrize(
    ("weights", "problems"),
    [
        (Weights(D("20"), D("40"), D("25"), D("15")), []),
        (Weights(D("30"), D("39.99"), D("15.01"), D("15")), ["satisfaction_min"]),
        (Weights(D("20"), D("40"), D("25"), D("10")), ["sum"]),
        (Weights(D("-10"), D("60"), D("25"), D("25")), ["negative"]),
    ],
)
def test_weights_must_add_up_to_100_with_satisfaction_at_least_40(weights, problems):
    assert weight_problems(weights) == problems


def test_adjustments_move_the_final_score_within_0_to_100():
    assert final_score(D("50.00"), [D("5"), D("-2.5")]) == D("52.50")
    assert final_score(D("95.00"), [D("10")]) == D("100.00")
    assert final_score(D("3.00"), [D("-10")]) == D("0.00")


def test_equal_scores_share_a_rank_and_the_next_rank_is_skipped():
    ranks = competition_ranks({"a": D("90"), "b": D("80"), "c": D("80"), "d": D("70")})

    assert ranks == {"a": 1, "b": 2, "c": 2, "d": 4}


# -- properties ---------------------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=50)
figures = st.fixed_dictionaries(
    {
        "hours": st.decimals(min_value=-5, max_value=500, places=2),
        "resources_used": counts,
        "projects_completed": counts,
        "mean_rating": st.none() | st.decimals(min_value=1, max_value=5, places=2),
        "needs_resolved": counts,
        "special_group_needs": counts,
        "active_months": st.integers(min_value=0, max_value=12),
        "consecutive_years": st.integers(min_value=0, max_value=20),
    }
)


@st.composite
def valid_weights(draw):
    satisfaction = draw(st.integers(min_value=40, max_value=100))
    rest = 100 - satisfaction
    first = draw(st.integers(min_value=0, max_value=rest))
    second = draw(st.integers(min_value=0, max_value=rest - first))
    return Weights(D(first), D(satisfaction), D(second), D(rest - first - second))


@given(cohort=st.lists(figures, min_size=1, max_size=12), weights=valid_weights())
def test_every_score_lies_between_0_and_100(cohort, weights):
    subjects = [member(str(i), **f) for i, f in enumerate(cohort)]

    for score in score_cohort(subjects, weights).values():
        assert D(0) <= score.computed <= D(100)
        assert all(D(0) <= v <= D(100) for v in score.indicators.values() if v is not None)


@given(base=figures, extra=st.integers(min_value=0, max_value=10), weights=valid_weights())
def test_doing_more_of_everything_never_lowers_the_score(base, extra, weights):
    more = {key: value + extra for key, value in base.items() if key != "mean_rating"}
    more["mean_rating"] = base["mean_rating"]
    more["active_months"] = min(more["active_months"], 12)
    scores = score_cohort([member("base", **base), member("more", **more)], weights)

    assert scores["more"].computed >= scores["base"].computed


@given(st.dictionaries(st.text(min_size=1, max_size=3), st.decimals(0, 100, places=2)))
def test_a_rank_is_one_more_than_the_number_of_higher_scores(scores):
    ranks = competition_ranks(scores)

    for key, value in scores.items():
        assert ranks[key] == 1 + sum(1 for other in scores.values() if other > value)

"""Red and black lists of one ranking: top N or threshold, bottom N or failed two years running."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from evaluation.annual.lists import ListRules, Reason, Standing, place

D = Decimal
SCORES = {"a": D("90"), "b": D("80"), "c": D("80"), "d": D("50"), "e": D("40")}


def standings(placings):
    return {key: placing.standing for key, placing in placings.items()}


def test_the_top_places_make_the_red_list_and_a_tie_on_the_last_place_lists_both():
    placings = place(SCORES, ListRules(red_top_n=2, black_bottom_n=1))

    assert standings(placings) == {
        "a": Standing.RED,
        "b": Standing.RED,
        "c": Standing.RED,
        "d": Standing.NONE,
        "e": Standing.BLACK,
    }
    assert placings["e"].reason == Reason.BOTTOM_N


def test_with_a_threshold_only_the_scores_at_or_above_it_make_the_red_list():
    placings = place(SCORES, ListRules(red_top_n=0, red_threshold=D("85"), black_bottom_n=0))

    assert [key for key, p in placings.items() if p.standing == Standing.RED] == ["a"]
    assert placings["a"].reason == Reason.THRESHOLD


def test_failing_two_years_running_puts_a_subject_on_the_black_list_whatever_its_place():
    placings = place(SCORES, ListRules(red_top_n=1, black_bottom_n=1), failed_last_year={"d"})

    assert placings["d"].standing == Standing.BLACK
    assert placings["d"].reason == Reason.FAILED_TWICE


def test_failing_last_year_but_passing_this_year_is_not_the_black_list():
    placings = place(SCORES, ListRules(red_top_n=1, black_bottom_n=1), failed_last_year={"b"})

    assert placings["b"].standing == Standing.NONE


def test_a_subject_below_the_pass_mark_never_makes_the_red_list():
    placings = place({"a": D("55")}, ListRules(pass_mark=D("60"), red_top_n=3, black_bottom_n=0))

    assert placings["a"].standing == Standing.NONE
    assert placings["a"].passed is False


def test_when_everyone_scores_the_same_nobody_is_black_listed_for_being_the_bottom():
    placings = place({"a": D("39"), "b": D("39"), "c": D("39")}, ListRules(black_bottom_n=1))

    assert {p.standing for p in placings.values()} == {Standing.NONE}


def test_in_a_cohort_too_small_for_both_lists_red_wins_over_the_bottom_places():
    placings = place({"a": D("70")}, ListRules(red_top_n=3, black_bottom_n=1))

    assert placings["a"].standing == Standing.RED


@given(
    scores=st.dictionaries(st.text(min_size=1, max_size=3), st.decimals(0, 100, places=2)),
    top=st.integers(0, 5),
    bottom=st.integers(0, 5),
    failed=st.sets(st.text(min_size=1, max_size=3)),
)
def test_red_means_passed_and_nobody_is_on_both_lists(scores, top, bottom, failed):
    rules = ListRules(red_top_n=top, black_bottom_n=bottom)

    for placing in place(scores, rules, failed_last_year=failed).values():
        if placing.standing == Standing.RED:
            assert placing.passed
        assert placing.standing in (Standing.RED, Standing.BLACK, Standing.NONE)

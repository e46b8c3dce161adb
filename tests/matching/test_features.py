import math

import pytest

from resources.matching import Weights, score
from resources.matching.features import (
    availability,
    category_fit,
    distance,
    features_for,
    haversine_km,
    provider,
    special_group,
    urgency,
    waiting,
)
from tests.matching.builders import need, resource

KM_PER_DEGREE_LAT = 2 * math.pi * 6371.0088 / 360


def test_haversine_measures_a_degree_of_latitude():
    assert haversine_km((31.0, 121.0), (32.0, 121.0)) == pytest.approx(KM_PER_DEGREE_LAT)


def test_category_fit_is_one_for_the_needs_own_category():
    assert category_fit(3, 1, frozenset({3, 7})) == 1.0


def test_category_fit_is_partial_for_the_parent_category():
    assert category_fit(3, 1, frozenset({1})) == 0.6


def test_category_fit_is_zero_for_an_unrelated_category():
    assert category_fit(3, 1, frozenset({2, 5})) == 0.0


def test_category_fit_is_zero_without_a_parent_to_fall_back_on():
    assert category_fit(1, None, frozenset({3})) == 0.0


def test_distance_is_one_in_the_same_community():
    assert distance(1, (31.2, 121.4), 1, (31.3, 121.5)) == 1.0


def test_distance_is_one_for_a_street_wide_resource():
    assert distance(1, (31.2, 121.4), None, (31.3, 121.5)) == 1.0


def test_distance_decays_with_kilometres_to_another_community():
    two_km_north = (31.2 + 2 / KM_PER_DEGREE_LAT, 121.4)
    assert distance(1, (31.2, 121.4), 2, two_km_north) == pytest.approx(math.exp(-1))


def test_distance_is_point_four_when_a_location_is_unknown():
    assert distance(1, None, 2, (31.2, 121.4)) == 0.4
    assert distance(1, (31.2, 121.4), 2, None) == 0.4


def test_availability_is_the_share_of_the_needs_slots_covered():
    need_slots = frozenset({"weekday_morning", "weekend_morning"})
    assert availability(need_slots, frozenset({"weekend_morning", "weekday_evening"})) == 0.5
    assert availability(need_slots, need_slots | {"weekday_evening"}) == 1.0


def test_availability_is_neutral_when_either_side_is_open():
    assert availability(frozenset(), frozenset({"weekday_morning"})) == 0.5
    assert availability(frozenset({"weekday_morning"}), frozenset()) == 0.5


def test_provider_without_history_gets_the_prior():
    assert provider(resource()) == pytest.approx(0.7 * 4.0 / 5)


def test_provider_shrinks_a_single_five_star_rating_towards_the_prior():
    assert provider(resource(rating_sum=5, rating_count=1)) == pytest.approx(0.7 * (5 + 12) / 4 / 5)


def test_provider_completions_saturate_at_twenty():
    many = resource(completions=20, rating_sum=5000, rating_count=1000)
    assert provider(many) == pytest.approx(0.7 * (5012 / 1003 / 5) + 0.3)
    assert provider(resource(completions=200)) == provider(resource(completions=20))


def test_urgency_maps_one_to_four_onto_zero_to_one():
    assert [urgency(level) for level in (1, 2, 3, 4)] == pytest.approx([0, 1 / 3, 2 / 3, 1])


def test_waiting_saturates_at_three_days():
    assert waiting(0) == 0
    assert waiting(36) == 0.5
    assert waiting(500) == 1.0


def test_special_group_is_one_or_zero():
    assert (special_group(True), special_group(False)) == (1.0, 0.0)


def test_a_perfect_pair_scores_one_thousand():
    slots = frozenset({"weekday_morning"})
    perfect_need = need(urgency=4, waiting_hours=72, special_group=True, slots=slots)
    perfect_resource = resource(slots=slots, completions=20, rating_sum=50, rating_count=10)
    weights = Weights(provider=0)  # the Bayesian prior keeps the provider below 1
    assert score(perfect_need, perfect_resource, weights) == 1000


def test_score_is_the_rounded_weighted_mean_times_one_thousand():
    values = features_for(need(), resource())
    weights = Weights(
        category=1, distance=1, availability=1, provider=1, urgency=0, waiting=0, special_group=0
    )
    expected = round(1000 * (1.0 + 1.0 + 0.5 + values.provider) / 4)
    assert score(need(), resource(), weights) == expected


def test_all_zero_weights_score_zero():
    zero = Weights(0, 0, 0, 0, 0, 0, 0)
    assert score(need(urgency=4), resource(), zero) == 0


@pytest.mark.parametrize("bad", [-1, 11, 2.5, True])
def test_weights_outside_zero_to_ten_are_refused(bad):
    with pytest.raises(ValueError, match="category"):
        Weights(category=bad)

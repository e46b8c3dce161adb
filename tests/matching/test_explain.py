import json

from resources.matching import Weights, explain
from tests.matching.builders import need, resource

MORNING = "weekday_morning"
EVENING = "weekday_evening"


def _codes(reasons):
    return [code for code, _params in reasons]


def _params(reasons, code):
    return dict(reasons)[code]


def test_reasons_come_largest_contribution_first():
    reasons = explain(
        need(urgency=4, special_group=True),
        resource(rating_sum=45, rating_count=10),
        Weights(category=3, distance=2, provider=1, urgency=5, special_group=4),
    )
    assert _codes(reasons) == [
        "urgency",
        "special_group",
        "category_fit",
        "same_community",
        "provider_rating",
    ]


def test_same_community_has_no_params():
    assert _params(explain(need(), resource(), Weights()), "same_community") == {}


def test_another_community_gives_the_distance_in_km():
    reasons = explain(
        need(location=(31.20, 121.40)),
        resource(community_id=2, location=(31.21, 121.40)),
        Weights(),
    )
    assert _params(reasons, "same_street") == {"km": 1.1}


def test_a_street_wide_resource_without_locations_gives_no_km():
    reasons = explain(need(), resource(community_id=None), Weights())
    assert _params(reasons, "same_street") == {"km": None}


def test_category_fit_names_the_category_that_matched():
    assert _params(explain(need(), resource(), Weights()), "category_fit") == {
        "category_id": 3,
        "exact": True,
    }
    partial = explain(need(), resource(category_ids=frozenset({1})), Weights())
    assert _params(partial, "category_fit") == {"category_id": 1, "exact": False}


def test_availability_lists_the_common_slots_sorted():
    reasons = explain(
        need(slots=frozenset({EVENING, MORNING})),
        resource(slots=frozenset({MORNING, EVENING, "weekend_morning"})),
        Weights(),
    )
    assert _params(reasons, "availability") == {"slots": [EVENING, MORNING]}


def test_availability_covering_half_the_slots_is_still_a_reason():
    reasons = explain(
        need(slots=frozenset({EVENING, MORNING})), resource(slots=frozenset({MORNING})), Weights()
    )
    assert _params(reasons, "availability") == {"slots": [MORNING]}


def test_neutral_availability_is_no_reason():
    assert "availability" not in _codes(explain(need(), resource(), Weights()))
    one_open = explain(need(slots=frozenset({MORNING})), resource(), Weights())
    assert "availability" not in _codes(one_open)


def test_a_rated_provider_shows_its_rounded_average_and_count():
    reasons = explain(need(), resource(rating_sum=29, rating_count=6, completions=9), Weights())
    assert _params(reasons, "provider_rating") == {"rating": 4.8, "count": 6}
    assert "provider_completions" not in _codes(reasons)


def test_an_unrated_provider_shows_its_completions():
    reasons = explain(need(), resource(completions=3), Weights())
    assert _params(reasons, "provider_completions") == {"count": 3}


def test_a_provider_without_history_gives_no_reason():
    codes = _codes(explain(need(), resource(), Weights()))
    assert not {"provider_rating", "provider_completions"} & set(codes)


def test_urgency_is_a_reason_from_level_three():
    assert "urgency" not in _codes(explain(need(urgency=2), resource(), Weights()))
    assert _params(explain(need(urgency=3), resource(), Weights()), "urgency") == {"level": 3}


def test_waiting_is_a_reason_from_a_day_in_whole_hours():
    assert "waiting" not in _codes(explain(need(waiting_hours=23.9), resource(), Weights()))
    reasons = explain(need(waiting_hours=30.7), resource(), Weights())
    assert _params(reasons, "waiting") == {"hours": 30}


def test_special_group_is_a_reason_only_for_special_groups():
    assert "special_group" not in _codes(explain(need(), resource(), Weights()))
    assert "special_group" in _codes(explain(need(special_group=True), resource(), Weights()))


def test_a_feature_with_zero_weight_gives_no_reason():
    reasons = explain(need(urgency=4), resource(), Weights(urgency=0, distance=0))
    assert not {"urgency", "same_community"} & set(_codes(reasons))


def test_reasons_survive_a_json_round_trip():
    reasons = explain(
        need(urgency=4, waiting_hours=50, special_group=True, slots=frozenset({MORNING})),
        resource(community_id=2, slots=frozenset({MORNING}), rating_sum=9, rating_count=2),
        Weights(),
    )
    assert json.loads(json.dumps(reasons)) == [[code, params] for code, params in reasons]

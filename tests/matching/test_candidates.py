import pytest
from hypothesis import given, settings

from resources.matching import Weights, generate_candidates, score
from tests.matching.builders import (
    compatible,
    instances,
    need,
    reference_ranking,
    resource,
)

MORNING = frozenset({"weekday_morning"})
EVENING = frozenset({"weekday_evening"})


def _ids(candidates):
    return [c.resource_id for c in candidates]


def test_a_resource_of_the_needs_category_is_an_exact_candidate():
    (candidate,) = generate_candidates([need()], [resource(category_ids=frozenset({3}))])
    assert candidate.score == score(need(), resource(category_ids=frozenset({3})), Weights())


def test_a_resource_of_the_parent_category_is_a_candidate_with_a_lower_score():
    exact, parent = resource(1), resource(2, category_ids=frozenset({1}))
    candidates = generate_candidates([need()], [parent, exact])
    assert _ids(candidates) == [1, 2]
    assert candidates[1].score == score(need(), parent, Weights()) < candidates[0].score


def test_a_resource_of_another_category_is_not_a_candidate():
    assert generate_candidates([need()], [resource(category_ids=frozenset({2, 4}))]) == []


def test_a_resource_without_capacity_is_not_a_candidate():
    assert generate_candidates([need()], [resource(capacity=0)]) == []


def test_an_excluded_pair_is_not_a_candidate_but_the_resource_still_serves_others():
    candidates = generate_candidates(
        [need(1), need(2)], [resource(7)], excluded=frozenset({(1, 7)})
    )
    assert [(c.need_id, c.resource_id) for c in candidates] == [(2, 7)]


def test_slots_must_overlap_when_both_sides_have_them():
    assert generate_candidates([need(slots=MORNING)], [resource(slots=EVENING)]) == []
    assert len(generate_candidates([need(slots=MORNING)], [resource(slots=MORNING | EVENING)])) == 1


def test_an_open_side_is_compatible_with_any_slots():
    assert len(generate_candidates([need(slots=MORNING)], [resource()])) == 1
    assert len(generate_candidates([need()], [resource(slots=EVENING)])) == 1


def test_same_community_ranks_before_the_rest_of_the_street():
    other = resource(1, community_id=2)
    own = resource(2, community_id=1)
    candidates = generate_candidates([need(community_id=1)], [other, own])
    assert _ids(candidates) == [2, 1]
    assert [c.near for c in candidates] == [True, False]


def test_a_street_wide_resource_counts_as_near():
    (candidate,) = generate_candidates([need(community_id=1)], [resource(community_id=None)])
    assert candidate.near


def test_near_wins_a_tie_against_a_street_resource_with_a_lower_id():
    no_distance = Weights(distance=0)
    candidates = generate_candidates(
        [need(community_id=1)],
        [resource(1, community_id=2), resource(2, community_id=1)],
        weights=no_distance,
    )
    assert candidates[0].score == candidates[1].score
    assert _ids(candidates) == [2, 1]


def test_the_rest_of_the_street_is_offered_when_the_community_has_nothing():
    (candidate,) = generate_candidates([need(community_id=1)], [resource(community_id=3)])
    assert not candidate.near


def test_each_need_keeps_at_most_max_candidates_the_best_ones():
    resources = [resource(i, rating_sum=i * 5, rating_count=i) for i in range(1, 11)]
    candidates = generate_candidates([need()], resources, max_candidates=3)
    assert _ids(candidates) == [10, 9, 8]


def test_zero_max_candidates_gives_no_candidates():
    assert generate_candidates([need()], [resource()], max_candidates=0) == []


def test_duplicate_ids_are_refused():
    with pytest.raises(ValueError, match="need ids"):
        generate_candidates([need(1), need(1)], [resource()])
    with pytest.raises(ValueError, match="resource ids"):
        generate_candidates([need()], [resource(1), resource(1)])


def _first_choices(candidates):
    first = {}
    for c in candidates:
        first.setdefault(c.need_id, c.resource_id)
    return first


def test_spread_offers_a_busy_resource_to_max_candidates_needs_per_unit_of_capacity():
    resources = [resource(i, rating_sum=i * 5, rating_count=i) for i in range(1, 5)]
    needs = [need(i) for i in range(1, 9)]
    plain = generate_candidates(needs, resources, max_candidates=2, spread=False)
    spread = generate_candidates(needs, resources, max_candidates=2)
    assert set(_ids(plain)) == {4, 3}
    assert set(_ids(spread)) == {4, 3, 2, 1}


def test_spread_keeps_each_needs_best_resource():
    resources = [resource(i, rating_sum=i * 5, rating_count=i) for i in range(1, 5)]
    needs = [need(i) for i in range(1, 9)]
    spread = generate_candidates(needs, resources, max_candidates=2)
    assert set(_first_choices(spread).values()) == {4}


def test_spread_lets_urgent_needs_choose_first():
    # Resource 1 is the best, 6 the worst; each may be offered to 4 needs.
    resources = [resource(i, rating_sum=5 * (7 - i), rating_count=7 - i) for i in range(1, 7)]
    needs = [need(1), need(2), need(3), need(4), need(5, urgency=4)]
    candidates = generate_candidates(needs, resources, max_candidates=4)
    assert _ids(c for c in candidates if c.need_id == 5) == [1, 2, 3, 4]
    assert _ids(c for c in candidates if c.need_id == 4) == [1, 5, 6]


@settings(max_examples=200, deadline=None)
@given(instances())
def test_without_spread_each_need_gets_exactly_its_best_compatible_resources(inst):
    candidates = generate_candidates(
        inst.needs,
        inst.resources,
        weights=inst.weights,
        max_candidates=inst.max_candidates,
        excluded=inst.excluded,
        spread=False,
        scan_factor=1000,
    )
    for n in inst.needs:
        expected = reference_ranking(n, inst.resources, inst)[: inst.max_candidates]
        assert _ids(c for c in candidates if c.need_id == n.id) == expected


@settings(max_examples=200, deadline=None)
@given(instances())
def test_with_spread_candidates_are_compatible_capped_and_keep_each_needs_best(inst):
    candidates = generate_candidates(
        inst.needs,
        inst.resources,
        weights=inst.weights,
        max_candidates=inst.max_candidates,
        excluded=inst.excluded,
    )
    by_id = {r.id: r for r in inst.resources}
    core = max(1, inst.max_candidates // 4)
    for n in inst.needs:
        mine = [c for c in candidates if c.need_id == n.id]
        assert len(mine) <= inst.max_candidates
        assert all(compatible(n, by_id[c.resource_id], inst.excluded) for c in mine)
        assert all(c.score == score(n, by_id[c.resource_id], inst.weights) for c in mine)
        assert set(reference_ranking(n, inst.resources, inst)[:core]) <= set(_ids(mine))

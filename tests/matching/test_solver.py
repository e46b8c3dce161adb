from resources.matching import Candidate, Weights, run_matching
from resources.matching.solver import solve_greedy, solve_optimal
from tests.matching.builders import need, resource


def _pairs(proposals):
    return [(p.need_id, p.resource_id) for p in proposals]


def test_greedy_can_be_strictly_worse_than_the_optimum():
    # Resource 1 suits both needs best, but need 2 has nothing else; resource 2 only serves
    # need 1's category. Greedy gives resource 1 to need 1 and leaves need 2 unmatched.
    shared = resource(1, category_ids=frozenset({3, 5}), rating_sum=50, rating_count=10)
    only_for_need_1 = resource(2, category_ids=frozenset({3}))
    needs = [need(1, urgency=4), need(2, category_id=5, category_parent_id=2)]
    result = run_matching(needs, [shared, only_for_need_1])
    assert _pairs(result.greedy_proposals) == [(1, 1)]
    assert _pairs(result.proposals) == [(1, 2), (2, 1)]
    assert result.optimal_total > result.greedy_total


def test_a_resource_takes_no_more_needs_than_its_capacity():
    result = run_matching([need(1), need(2), need(3)], [resource(capacity=2)])
    assert len(result.proposals) == 2


def test_empty_inputs_give_an_empty_result():
    for needs, resources in [([], []), ([need()], []), ([], [resource()])]:
        result = run_matching(needs, resources)
        assert (result.proposals, result.greedy_proposals) == ((), ())
        assert (result.optimal_total, result.greedy_total, result.candidate_count) == (0, 0, 0)


def test_all_zero_weights_propose_nothing():
    result = run_matching([need()], [resource()], weights=Weights(0, 0, 0, 0, 0, 0, 0))
    assert result.candidate_count == 1
    assert result.proposals == ()


def test_candidates_scoring_zero_are_not_chosen():
    candidates = [Candidate(need_id=1, resource_id=1, score=0, near=True)]
    assert solve_optimal(candidates, {1: 1}) == ([], 0)
    assert solve_greedy(candidates, {1: 1}) == ([], 0)


def test_greedy_breaks_ties_by_need_id_then_resource_id():
    candidates = [
        Candidate(need_id=2, resource_id=1, score=500, near=True),
        Candidate(need_id=1, resource_id=2, score=500, near=True),
        Candidate(need_id=1, resource_id=1, score=500, near=True),
    ]
    chosen, total = solve_greedy(candidates, {1: 1, 2: 1})
    assert [(c.need_id, c.resource_id) for c in chosen] == [(1, 1)]
    assert total == 500


def test_the_optimum_maximises_the_total_not_the_number_matched():
    candidates = [
        Candidate(need_id=1, resource_id=1, score=900, near=True),
        Candidate(need_id=2, resource_id=1, score=100, near=True),
        Candidate(need_id=2, resource_id=2, score=50, near=True),
    ]
    chosen, total = solve_optimal(candidates, {1: 1, 2: 1})
    assert [(c.need_id, c.resource_id) for c in chosen] == [(1, 1), (2, 2)]
    assert total == 950

import ast
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import resources.matching
from resources.matching import Candidate, generate_candidates, run_matching, score
from tests.matching.builders import brute_force_total, compatible, instances, need, resource

PROPERTY = settings(max_examples=200, deadline=None)


def _run(inst, **options):
    return run_matching(
        inst.needs,
        inst.resources,
        weights=inst.weights,
        max_candidates=inst.max_candidates,
        excluded=inst.excluded,
        **options,
    )


def _outcome(result):
    """Everything but the timings."""
    return (
        result.proposals,
        result.optimal_total,
        result.greedy_proposals,
        result.greedy_total,
        result.candidate_count,
    )


def test_the_engine_imports_nothing_from_django():
    package = Path(resources.matching.__file__).parent
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(name.split(".")[0] == "django" for name in names), path.name


def test_proposals_come_in_need_id_order_with_their_reasons():
    result = run_matching([need(5), need(2)], [resource(1, capacity=2)])
    assert [p.need_id for p in result.proposals] == [2, 5]
    assert all(p.reasons for p in result.proposals)


def test_negative_max_candidates_is_refused():
    with pytest.raises(ValueError):
        run_matching([need()], [resource()], max_candidates=-1)


@PROPERTY
@given(instances())
def test_the_optimum_is_never_below_greedy(inst):
    result = _run(inst)
    assert result.optimal_total >= result.greedy_total


@PROPERTY
@given(instances())
def test_no_resource_is_proposed_beyond_its_capacity(inst):
    result = _run(inst)
    capacity = {r.id: r.capacity for r in inst.resources}
    for proposals in (result.proposals, result.greedy_proposals):
        used = Counter(p.resource_id for p in proposals)
        assert all(used[rid] <= capacity[rid] for rid in used)


@PROPERTY
@given(instances())
def test_no_need_is_proposed_twice(inst):
    result = _run(inst)
    for proposals in (result.proposals, result.greedy_proposals):
        need_ids = [p.need_id for p in proposals]
        assert len(need_ids) == len(set(need_ids))


@PROPERTY
@given(instances())
def test_every_proposal_is_a_compatible_generated_candidate_with_its_score(inst):
    result = _run(inst)
    candidates = generate_candidates(
        inst.needs,
        inst.resources,
        weights=inst.weights,
        max_candidates=inst.max_candidates,
        excluded=inst.excluded,
    )
    generated = {(c.need_id, c.resource_id, c.score) for c in candidates}
    needs = {n.id: n for n in inst.needs}
    resources = {r.id: r for r in inst.resources}
    for p in result.proposals + result.greedy_proposals:
        assert (p.need_id, p.resource_id, p.score) in generated
        assert compatible(needs[p.need_id], resources[p.resource_id], inst.excluded)
        assert p.score == score(needs[p.need_id], resources[p.resource_id], inst.weights)
    assert result.optimal_total == sum(p.score for p in result.proposals)
    assert result.greedy_total == sum(p.score for p in result.greedy_proposals)
    assert result.candidate_count == len(candidates)


@PROPERTY
@given(instances(max_needs=5, max_resources=4, max_capacity=2))
def test_on_tiny_streets_the_optimum_equals_brute_force_over_the_candidates(inst):
    result = _run(inst)
    candidates = generate_candidates(
        inst.needs,
        inst.resources,
        weights=inst.weights,
        max_candidates=inst.max_candidates,
        excluded=inst.excluded,
    )
    capacity = {r.id: r.capacity for r in inst.resources}
    assert result.optimal_total == brute_force_total(candidates, capacity)


@PROPERTY
@given(instances(max_needs=5, max_resources=4, max_capacity=2))
def test_with_room_for_every_candidate_the_optimum_equals_brute_force_over_all_pairs(inst):
    result = run_matching(
        inst.needs,
        inst.resources,
        weights=inst.weights,
        max_candidates=max(1, len(inst.resources)),
        excluded=inst.excluded,
        spread=False,
    )
    every_pair = [
        Candidate(need_id=n.id, resource_id=r.id, score=score(n, r, inst.weights), near=True)
        for n in inst.needs
        for r in inst.resources
        if compatible(n, r, inst.excluded)
    ]
    capacity = {r.id: r.capacity for r in inst.resources}
    assert result.optimal_total == brute_force_total(every_pair, capacity)


@PROPERTY
@given(instances(), st.randoms(use_true_random=False))
def test_the_same_street_gives_the_same_result_in_any_order(inst, rnd):
    first = _run(inst)
    assert _outcome(_run(inst)) == _outcome(first)
    shuffled_needs, shuffled_resources = list(inst.needs), list(inst.resources)
    rnd.shuffle(shuffled_needs)
    rnd.shuffle(shuffled_resources)
    again = run_matching(
        shuffled_needs,
        shuffled_resources,
        weights=inst.weights,
        max_candidates=inst.max_candidates,
        excluded=inst.excluded,
    )
    assert _outcome(again) == _outcome(first)


@PROPERTY
@given(instances())
def test_excluded_pairs_are_never_proposed(inst):
    result = _run(inst)
    proposed = {(p.need_id, p.resource_id) for p in result.proposals + result.greedy_proposals}
    assert not proposed & inst.excluded

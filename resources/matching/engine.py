"""One matching run: candidates, the optimal assignment, the greedy baseline, explanations."""

from __future__ import annotations

import time
from collections.abc import Sequence

from resources.matching.candidates import generate_candidates
from resources.matching.data import (
    DEFAULT_WEIGHTS,
    Candidate,
    MatchResult,
    NeedInput,
    Proposal,
    ResourceInput,
    Weights,
)
from resources.matching.explain import explain
from resources.matching.solver import solve_greedy, solve_optimal


def _proposals(
    chosen: Sequence[Candidate],
    needs: dict[int, NeedInput],
    resources: dict[int, ResourceInput],
    weights: Weights,
) -> tuple[Proposal, ...]:
    return tuple(
        Proposal(
            need_id=c.need_id,
            resource_id=c.resource_id,
            score=c.score,
            reasons=explain(needs[c.need_id], resources[c.resource_id], weights),
        )
        for c in chosen
    )


def run_matching(
    needs: Sequence[NeedInput],
    resources: Sequence[ResourceInput],
    *,
    weights: Weights = DEFAULT_WEIGHTS,
    max_candidates: int = 20,
    excluded: frozenset[tuple[int, int]] = frozenset(),
    spread: bool = True,
) -> MatchResult:
    """Propose at most one resource per need, maximising the total score within capacities.

    `excluded` holds (need id, resource id) pairs never to propose (rejected before).
    `spread` caps how many needs a resource is offered to (see `candidates`). The result is
    the same for the same inputs in any order. Raises ValueError for duplicate ids or a
    negative `max_candidates`.
    """
    started = time.perf_counter()
    candidates = generate_candidates(
        needs,
        resources,
        weights=weights,
        max_candidates=max_candidates,
        excluded=excluded,
        spread=spread,
    )
    seconds_candidates = time.perf_counter() - started
    capacities = {r.id: r.capacity for r in resources}

    started = time.perf_counter()
    optimal, optimal_total = solve_optimal(candidates, capacities)
    seconds_optimal = time.perf_counter() - started

    started = time.perf_counter()
    greedy, greedy_total = solve_greedy(candidates, capacities)
    seconds_greedy = time.perf_counter() - started

    need_by_id = {n.id: n for n in needs}
    resource_by_id = {r.id: r for r in resources}
    return MatchResult(
        proposals=_proposals(optimal, need_by_id, resource_by_id, weights),
        optimal_total=optimal_total,
        greedy_total=greedy_total,
        greedy_proposals=_proposals(greedy, need_by_id, resource_by_id, weights),
        candidate_count=len(candidates),
        seconds_candidates=seconds_candidates,
        seconds_optimal=seconds_optimal,
        seconds_greedy=seconds_greedy,
    )

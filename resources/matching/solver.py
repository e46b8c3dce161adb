"""Choose which candidates to propose: the optimal assignment and the greedy baseline.

Both maximise the sum of integer scores with each need matched at most once and each
resource at most `capacity` times; both ignore candidates scoring 0 (they add nothing).
The optimum is a min-cost flow (OR-Tools): source → need (capacity 1), need → resource
(capacity 1, cost −score), resource → sink (its capacity), and need → sink (capacity 1,
cost 0) so a need may stay unmatched. Integer costs make the optimum exact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from ortools.graph.python.min_cost_flow import SimpleMinCostFlow

from resources.matching.data import Candidate


def _usable(candidates: Sequence[Candidate], capacities: Mapping[int, int]) -> list[Candidate]:
    return [c for c in candidates if c.score > 0 and capacities.get(c.resource_id, 0) > 0]


def solve_optimal(
    candidates: Sequence[Candidate], capacities: Mapping[int, int]
) -> tuple[list[Candidate], int]:
    """The chosen candidates (ordered by need id, then resource id) and their total score.

    Raises RuntimeError if the solver does not report an optimum (it always should: the
    bypass arcs make every instance feasible).
    """
    edges = _usable(candidates, capacities)
    if not edges:
        return [], 0
    need_ids = sorted({c.need_id for c in edges})
    resource_ids = sorted({c.resource_id for c in edges})
    n, m = len(need_ids), len(resource_ids)
    need_node = {nid: 1 + i for i, nid in enumerate(need_ids)}
    resource_node = {rid: 1 + n + j for j, rid in enumerate(resource_ids)}
    source, sink = 0, n + m + 1

    need_nodes = np.arange(1, n + 1, dtype=np.int32)
    resource_nodes = np.arange(n + 1, n + m + 1, dtype=np.int32)
    tails = np.concatenate(
        [
            np.full(n, source, dtype=np.int32),
            np.fromiter((need_node[c.need_id] for c in edges), np.int32, len(edges)),
            resource_nodes,
            need_nodes,
        ]
    )
    heads = np.concatenate(
        [
            need_nodes,
            np.fromiter((resource_node[c.resource_id] for c in edges), np.int32, len(edges)),
            np.full(m, sink, dtype=np.int32),
            np.full(n, sink, dtype=np.int32),
        ]
    )
    capacity = np.concatenate(
        [
            np.ones(n + len(edges), dtype=np.int64),
            np.fromiter((capacities[rid] for rid in resource_ids), np.int64, m),
            np.ones(n, dtype=np.int64),
        ]
    )
    cost = np.concatenate(
        [
            np.zeros(n, dtype=np.int64),
            -np.fromiter((c.score for c in edges), np.int64, len(edges)),
            np.zeros(m + n, dtype=np.int64),
        ]
    )
    flow = SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacity, cost)
    flow.set_nodes_supplies(
        np.array([source, sink], dtype=np.int32), np.array([n, -n], dtype=np.int64)
    )
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow did not find an optimum (status {status})")
    used = flow.flows(arcs[n : n + len(edges)])
    chosen = [c for c, f in zip(edges, used.tolist(), strict=True) if f > 0]
    chosen.sort(key=lambda c: (c.need_id, c.resource_id))
    return chosen, -int(flow.optimal_cost())


def solve_greedy(
    candidates: Sequence[Candidate], capacities: Mapping[int, int]
) -> tuple[list[Candidate], int]:
    """Best edge first (ties by need id, then resource id) while need and resource are free.

    Returns the chosen candidates ordered by need id, and their total score.
    """
    left = dict(capacities)
    matched: set[int] = set()
    chosen: list[Candidate] = []
    for c in sorted(
        _usable(candidates, capacities), key=lambda c: (-c.score, c.need_id, c.resource_id)
    ):
        if c.need_id in matched or left[c.resource_id] <= 0:
            continue
        matched.add(c.need_id)
        left[c.resource_id] -= 1
        chosen.append(c)
    chosen.sort(key=lambda c: (c.need_id, c.resource_id))
    return chosen, sum(c.score for c in chosen)

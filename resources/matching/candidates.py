"""Which resources may serve which need: filters, ranking and the per-need cap.

A resource is a candidate for a need when it serves the need's category (exact fit) or the
category's parent (partial fit), has capacity left, was not rejected for that need before, and
its times fit the need's (a common slot, or open on either side). Candidates are ranked by the
pair part of the score (see `features`: the need part is the same for every resource of a
need), ties going to near resources (the need's community, or street-wide), then to the lower
resource id. Each need keeps at most `max_candidates`; `index.ResourceIndex` finds them
without scoring the whole street.

Spread. Needs with the same profile have the same best resources, so on a busy street plain
per-need top-k offers the few best resources to everybody and most capacity to nobody (in the
benchmark at 50 000 needs: 10 000 needs matched for 37 000 units of capacity). With `spread`
(the default), a resource is offered to at most `max_candidates × capacity` needs, the same cap
per unit of capacity as per need. Needs choose in order of their need part (urgent,
long-waiting and special-group needs first, then by id). Each keeps its best quarter of
`max_candidates` (at least one) whatever happened before, and fills the rest with its best
resources not yet offered that often. On a quiet street nothing saturates and the result is
plain top-k; on a busy one the offers reach all the capacity.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from resources.matching.data import DEFAULT_WEIGHTS, Candidate, NeedInput, ResourceInput, Weights
from resources.matching.features import final_score, need_part
from resources.matching.index import Ranked, ResourceIndex

SCAN_FACTOR = 3


def check_unique_ids(items: Sequence[NeedInput] | Sequence[ResourceInput], label: str) -> None:
    """Raise ValueError when two inputs share an id: proposals are keyed by id."""
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{label} ids must be unique")


class _Rankings:
    """Rankings shared by needs with the same profile, refreshed when resources saturate."""

    def __init__(self, index: ResourceIndex, *, k: int, core: int, budget: int) -> None:
        self.index, self.k, self.core, self.budget = index, k, core, budget
        self._core: dict[tuple, list[Ranked]] = {}
        self._fresh: dict[tuple, list[Ranked]] = {}

    def for_need(self, need: NeedInput, excluded: set[int], *, spread: bool) -> list[Ranked]:
        """The need's ranking: its best `core`, then its best unsaturated resources."""
        # Needs with rejected pairs have a ranking of their own.
        key = (
            None
            if excluded
            else (
                need.community_id,
                need.category_id,
                need.category_parent_id,
                need.slots,
                need.location,
            )
        )
        kept = self._core.get(key) if key else None
        if kept is None:
            kept = self.index.rank(
                need, k=self.core, budget=self.budget, excluded=excluded, fresh=False
            )
            if key:
                self._core[key] = kept
        if not spread:
            return kept
        # Saturation only removes resources, so a fresh ranking none of whose resources
        # saturated since it was made is still exact.
        saturated = self.index.saturated
        fresh = self._fresh.get(key) if key else None
        if fresh is None or any(saturated[-neg_pos] for _p, _n, neg_pos in fresh):
            fresh = self.index.rank(
                need, k=self.k, budget=self.budget, excluded=excluded, fresh=True
            )
            if key:
                self._fresh[key] = fresh
        if all(item in fresh for item in kept):
            return fresh
        others = [item for item in fresh if item not in kept]
        return sorted(kept + others[: self.k - len(kept)], reverse=True)


def generate_candidates(
    needs: Sequence[NeedInput],
    resources: Sequence[ResourceInput],
    *,
    weights: Weights = DEFAULT_WEIGHTS,
    max_candidates: int = 20,
    excluded: frozenset[tuple[int, int]] = frozenset(),
    spread: bool = True,
    scan_factor: int = SCAN_FACTOR,
) -> list[Candidate]:
    """Every need's candidates, grouped by need id, best first within a need.

    A ranking pair-scores at most `scan_factor × max_candidates` resources in the need's own
    community (with street-wide ones) and as many in the rest of the street. Raises
    ValueError for duplicate ids, a negative `max_candidates` or `scan_factor` < 1.
    """
    check_unique_ids(needs, "need")
    check_unique_ids(resources, "resource")
    if max_candidates < 0 or scan_factor < 1:
        raise ValueError("max_candidates must be >= 0 and scan_factor >= 1")
    if max_candidates == 0 or not needs:
        return []
    index = ResourceIndex(resources, weights)
    saturated = index.saturated
    offers_left = [max_candidates * r.capacity for r in index.resources]
    rejected: dict[int, set[int]] = defaultdict(set)
    for need_id, resource_id in excluded:
        rejected[need_id].add(resource_id)
    own_part = {need.id: need_part(weights, need) for need in needs}
    if spread:
        order = sorted(needs, key=lambda n: (-own_part[n.id], n.id))
    else:
        order = sorted(needs, key=lambda n: n.id)

    rankings = _Rankings(
        index,
        k=max_candidates,
        core=max(1, max_candidates // 4) if spread else max_candidates,
        budget=scan_factor * max_candidates,
    )
    candidates: list[Candidate] = []
    for need in order:
        ranking = rankings.for_need(need, rejected.get(need.id, set()), spread=spread)
        own = own_part[need.id]
        for pair, near, neg_pos in ranking:
            candidates.append(
                Candidate(
                    need_id=need.id,
                    resource_id=index.resources[-neg_pos].id,
                    score=final_score(pair, own, weights),
                    near=near == 0,
                )
            )
            if spread:
                offers_left[-neg_pos] -= 1
                if offers_left[-neg_pos] == 0:
                    saturated[-neg_pos] = True
    if spread:
        # Back to need id order; the sort is stable, so each need keeps its ranking.
        candidates.sort(key=lambda c: c.need_id)
    return candidates

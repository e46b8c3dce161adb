"""Small builders, hypothesis strategies and brute-force references for the engine's tests."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import strategies as st

from resources.matching import Candidate, NeedInput, ResourceInput, Weights
from resources.matching.features import (
    availability,
    category_fit,
    distance,
    is_near,
    pair_part,
    provider,
    slots_compatible,
)

# A category tree: 3 and 4 sit under 1, 5 under 2.
PARENT = {1: None, 2: None, 3: 1, 4: 1, 5: 2}
SLOTS = ("weekday_morning", "weekday_evening", "weekend_morning")
POINTS = [(31.20, 121.40), (31.21, 121.41), (31.23, 121.43), (31.20, 121.44)]


def need(id: int = 1, **fields) -> NeedInput:
    """A need of community 1, category 3 (under 1), urgency 1, no wait, with overrides."""
    values = dict(
        id=id,
        community_id=1,
        category_id=3,
        category_parent_id=1,
        urgency=1,
        waiting_hours=0.0,
        special_group=False,
    )
    values.update(fields)
    return NeedInput(**values)


def resource(id: int = 1, **fields) -> ResourceInput:
    """A resource of community 1 serving category 3, capacity 1, with overrides."""
    values = dict(id=id, community_id=1, category_ids=frozenset({3}), capacity=1)
    values.update(fields)
    return ResourceInput(**values)


@dataclass(frozen=True)
class Instance:
    needs: list[NeedInput]
    resources: list[ResourceInput]
    weights: Weights
    excluded: frozenset[tuple[int, int]]
    max_candidates: int


_slots = st.frozensets(st.sampled_from(SLOTS), max_size=2)
_location = st.none() | st.sampled_from(POINTS)
_weights = st.just(Weights()) | st.builds(Weights, *[st.integers(0, 10) for _ in range(7)])


@st.composite
def instances(
    draw, *, max_needs: int = 8, max_resources: int = 6, max_capacity: int = 3
) -> Instance:
    """A small street: needs and resources over 3 communities and the category tree above."""
    need_ids = draw(st.lists(st.integers(1, 500), max_size=max_needs, unique=True))
    resource_ids = draw(st.lists(st.integers(1, 500), max_size=max_resources, unique=True))
    needs = []
    for nid in need_ids:
        category = draw(st.sampled_from(sorted(PARENT)))
        needs.append(
            NeedInput(
                id=nid,
                community_id=draw(st.integers(1, 3)),
                category_id=category,
                category_parent_id=PARENT[category],
                urgency=draw(st.integers(1, 4)),
                waiting_hours=draw(st.floats(0, 100, allow_nan=False)),
                special_group=draw(st.booleans()),
                slots=draw(_slots),
                location=draw(_location),
            )
        )
    resources = []
    for rid in resource_ids:
        rated = draw(st.integers(0, 10))
        resources.append(
            ResourceInput(
                id=rid,
                community_id=draw(st.none() | st.integers(1, 3)),
                category_ids=draw(
                    st.frozensets(st.sampled_from(sorted(PARENT)), min_size=1, max_size=3)
                ),
                capacity=draw(st.integers(0, max_capacity)),
                slots=draw(_slots),
                location=draw(_location),
                completions=draw(st.integers(0, 30)),
                rating_sum=draw(st.integers(rated, 5 * rated)),
                rating_count=rated,
            )
        )
    pairs = [(n, r) for n in need_ids for r in resource_ids]
    excluded = (
        frozenset(draw(st.lists(st.sampled_from(pairs), max_size=3))) if pairs else frozenset()
    )
    return Instance(
        needs=needs,
        resources=resources,
        weights=draw(_weights),
        excluded=excluded,
        max_candidates=draw(st.integers(1, 5)),
    )


def compatible(n: NeedInput, r: ResourceInput, excluded: frozenset[tuple[int, int]]) -> bool:
    """The candidate filters, straight from the rules."""
    return (
        category_fit(n.category_id, n.category_parent_id, r.category_ids) > 0
        and r.capacity > 0
        and (n.id, r.id) not in excluded
        and slots_compatible(n.slots, r.slots)
    )


def reference_ranking(
    n: NeedInput, resources: Sequence[ResourceInput], inst: Instance
) -> list[int]:
    """Every compatible resource id of a need, best first, by scoring them all."""

    def key(r: ResourceInput) -> tuple:
        pair = pair_part(
            inst.weights,
            category_fit(n.category_id, n.category_parent_id, r.category_ids),
            distance(n.community_id, n.location, r.community_id, r.location),
            availability(n.slots, r.slots),
            provider(r),
        )
        return (-pair, not is_near(n.community_id, r.community_id), r.id)

    return [r.id for r in sorted(resources, key=key) if compatible(n, r, inst.excluded)]


def brute_force_total(candidates: Sequence[Candidate], capacities: dict[int, int]) -> int:
    """The best total over every way of giving each need one candidate or none."""
    by_need: dict[int, list[Candidate | None]] = {}
    for c in candidates:
        if c.score > 0:
            by_need.setdefault(c.need_id, [None]).append(c)
    best = 0
    for choice in itertools.product(*by_need.values()):
        chosen = [c for c in choice if c is not None]
        used = Counter(c.resource_id for c in chosen)
        if all(used[rid] <= capacities[rid] for rid in used):
            best = max(best, sum(c.score for c in chosen))
    return best

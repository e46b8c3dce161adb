"""Find a need's best resources without scoring every resource of the street.

Resources with capacity are bucketed by (category, community, slot) and each bucket is
pre-ranked by the provider feature, the one resource-dependent feature that does not depend
on the need. A need walks only the buckets of its category and of its category's parent, in
two tiers: first its own community and street-wide resources, then the other communities.
Buckets are merged by an upper bound of the pair part (the bucket fixes the category fit and
bounds availability and distance; the provider term is exact), and the walk stops when no
unseen resource can beat the k-th best found so far, so the ranking is exact, or after
pair-scoring `budget` resources in the tier, which bounds the work per need on huge streets.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from resources.matching.data import Location, NeedInput, ResourceInput, Weights
from resources.matching.features import (
    EXACT_FIT,
    NEAR_DISTANCE,
    NEUTRAL_AVAILABILITY,
    PARENT_FIT,
    UNKNOWN_DISTANCE,
    availability,
    distance_from_km,
    haversine_km,
    pair_part,
    provider,
)

# Bucket slot keys that cannot clash with slot codes.
_ALL = "\x00all"  # every resource of the bucket: what a need open to any time walks
_ANYTIME = "\x00anytime"  # resources open at any time
# Bounds and exact values are summed in different orders; allow for float rounding.
_EPS = 1e-9
# Clamping to a lat/lng box is a hair off the nearest point on a sphere; shrink the distance.
_BOX_SAFETY = 0.99

BucketKey = tuple[int, int | None, str]
Ranked = tuple[float, int, int]
"""(pair part, 0 if near else -1, -position): larger is better."""
# (positions best first, weight × provider per position, bound of the other terms, first
# offset not yet saturated, length)
_Stream = tuple[list[int], list[float], float, int, int]


@dataclass(frozen=True, slots=True)
class _Box:
    """Where one community's resources are: a lat/lng box, and whether some have no location."""

    unlocated: bool
    lat: tuple[float, float] | None
    lng: tuple[float, float] | None

    @classmethod
    def around(cls, resources: Sequence[ResourceInput]) -> _Box:
        points = [r.location for r in resources if r.location is not None]
        unlocated = len(points) < len(resources)
        if not points:
            return cls(unlocated=unlocated, lat=None, lng=None)
        lats, lngs = [p[0] for p in points], [p[1] for p in points]
        return cls(unlocated=unlocated, lat=(min(lats), max(lats)), lng=(min(lngs), max(lngs)))

    def distance_bound(self, location: Location | None) -> float:
        """An upper bound of the distance feature from `location` to any resource inside."""
        if location is None:
            return UNKNOWN_DISTANCE
        bound = UNKNOWN_DISTANCE if self.unlocated else 0.0
        if self.lat is not None and self.lng is not None:
            nearest = (
                min(max(location[0], self.lat[0]), self.lat[1]),
                min(max(location[1], self.lng[0]), self.lng[1]),
            )
            km = haversine_km(location, nearest) * _BOX_SAFETY
            bound = max(bound, distance_from_km(km))
        return bound


class ResourceIndex:
    """Resources with capacity left, bucketed by (category, community, slot), best first.

    `saturated[pos]` takes a resource out of every later walk (see `generate_candidates`).
    """

    def __init__(self, resources: Sequence[ResourceInput], weights: Weights) -> None:
        self.weights = weights
        # Positions follow resource ids, so the position is also the id tie-break.
        self.resources = sorted((r for r in resources if r.capacity > 0), key=lambda r: r.id)
        self.provider = [provider(r) for r in self.resources]
        self.position = {r.id: pos for pos, r in enumerate(self.resources)}
        self.saturated = [False] * len(self.resources)
        self._never = [False] * len(self.resources)
        buckets: dict[BucketKey, list[int]] = defaultdict(list)
        members: dict[int, list[ResourceInput]] = defaultdict(list)
        communities: dict[int, set[int]] = defaultdict(set)
        for pos, res in enumerate(self.resources):
            slot_keys = (_ALL, *res.slots) if res.slots else (_ALL, _ANYTIME)
            for category in res.category_ids:
                for slot_key in slot_keys:
                    buckets[(category, res.community_id, slot_key)].append(pos)
                if res.community_id is not None:
                    communities[category].add(res.community_id)
            if res.community_id is not None:
                members[res.community_id].append(res)
        prov, weight = self.provider, weights.provider
        self._buckets: dict[BucketKey, tuple[list[int], list[float]]] = {}
        for key, positions in buckets.items():
            positions.sort(key=lambda pos: (-prov[pos], pos))
            self._buckets[key] = (positions, [weight * prov[pos] for pos in positions])
        self._starts: dict[BucketKey, int] = {}
        self._communities = {cat: tuple(sorted(ids)) for cat, ids in communities.items()}
        self._boxes = {cid: _Box.around(items) for cid, items in members.items()}
        # Needs sit at a few grid and community centres: remember distances per location.
        self._bounds: dict[tuple[Location | None, int], float] = {}
        self._distances: dict[Location, dict[int, float]] = defaultdict(dict)

    def _start(self, key: BucketKey, positions: list[int]) -> int:
        # The best resources saturate first: step over them once here, not in every walk.
        start, saturated = self._starts.get(key, 0), self.saturated
        while start < len(positions) and saturated[positions[start]]:
            start += 1
        self._starts[key] = start
        return start

    def _distance_bound(self, location: Location | None, community_id: int) -> float:
        key = (location, community_id)
        bound = self._bounds.get(key)
        if bound is None:
            bound = self._bounds[key] = self._boxes[community_id].distance_bound(location)
        return bound

    def _streams(self, need: NeedInput, near: bool, fresh: bool) -> list[_Stream]:
        """The buckets a need walks in one tier, each with the bound of its non-provider terms."""
        w = self.weights
        fits = [(need.category_id, EXACT_FIT)]
        parent = need.category_parent_id
        if parent is not None and parent != need.category_id:
            fits.append((parent, PARENT_FIT))
        if need.slots:
            slot_keys = [(_ANYTIME, NEUTRAL_AVAILABILITY)] + [(s, 1.0) for s in sorted(need.slots)]
        else:
            slot_keys = [(_ALL, NEUTRAL_AVAILABILITY)]
        streams: list[_Stream] = []
        for category, fit in fits:
            if near:
                places = [(need.community_id, NEAR_DISTANCE), (None, NEAR_DISTANCE)]
            else:
                places = [
                    (cid, self._distance_bound(need.location, cid))
                    for cid in self._communities.get(category, ())
                    if cid != need.community_id
                ]
            for community_id, distance_bound in places:
                for slot_key, availability_bound in slot_keys:
                    key = (category, community_id, slot_key)
                    bucket = self._buckets.get(key)
                    if bucket is None:
                        continue
                    positions, weighted = bucket
                    start = self._start(key, positions) if fresh else 0
                    if start < len(positions):
                        bound = (
                            w.category * fit
                            + w.distance * distance_bound
                            + w.availability * availability_bound
                        )
                        streams.append((positions, weighted, bound, start, len(positions)))
        return streams

    def rank(
        self, need: NeedInput, *, k: int, budget: int, excluded: set[int], fresh: bool
    ) -> list[Ranked]:
        """The best `k` resources for a need, best first, leaving out `excluded` resource ids
        and, when `fresh`, saturated resources. `budget` caps the resources pair-scored per tier.
        """
        if k <= 0:
            return []
        w, resources, prov = self.weights, self.resources, self.provider
        category_id, community_id = need.category_id, need.community_id
        location, slots = need.location, need.slots
        distances = self._distances[location] if location is not None else {}

        def ranked(pos: int) -> Ranked:
            # The same arithmetic as features.score, so scores match explanations exactly.
            res = resources[pos]
            fit = EXACT_FIT if category_id in res.category_ids else PARENT_FIT
            if res.community_id is None or res.community_id == community_id:
                dist, near = NEAR_DISTANCE, 0
            elif location is None or res.location is None:
                dist, near = UNKNOWN_DISTANCE, -1
            else:
                dist = distances.get(pos)
                if dist is None:
                    dist = distances[pos] = distance_from_km(haversine_km(location, res.location))
                near = -1
            pair = pair_part(w, fit, dist, availability(slots, res.slots), prov[pos])
            return (pair, near, -pos)

        best: list[Ranked] = []  # a min-heap of the k best so far
        seen = {self.position[rid] for rid in excluded if rid in self.position}
        saturated = self.saturated if fresh else self._never
        for near in (True, False):
            _walk(self._streams(need, near, fresh), best, seen, saturated, k, budget, ranked)
        return sorted(best, reverse=True)


def _walk(
    streams: list[_Stream],
    best: list[Ranked],
    seen: set[int],
    saturated: list[bool],
    k: int,
    budget: int,
    ranked: Callable[[int], Ranked],
) -> None:
    """Merge streams by bound; score unseen resources into `best` until none can enter it."""
    heappop, heapreplace, heappush = heapq.heappop, heapq.heapreplace, heapq.heappush
    heap = [
        (-(bound + weighted[start]), positions[start], i, start)
        for i, (positions, weighted, bound, start, _n) in enumerate(streams)
    ]
    heapq.heapify(heap)
    scored, full = 0, len(best) >= k
    while heap and scored < budget:
        neg_bound, pos, i, offset = heap[0]
        if full and -neg_bound < best[0][0] - _EPS:
            break
        positions, weighted, bound, _start, n = streams[i]
        offset += 1
        if offset < n:
            heapreplace(heap, (-(bound + weighted[offset]), positions[offset], i, offset))
        else:
            heappop(heap)
        if pos in seen or saturated[pos]:
            continue
        seen.add(pos)
        scored += 1
        item = ranked(pos)
        if not full:
            heappush(best, item)
            full = len(best) >= k
        elif item > best[0]:
            heapreplace(best, item)

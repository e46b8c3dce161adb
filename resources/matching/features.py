"""Feature values (each a float 0..1) and the integer score built from them.

A score splits into a *pair part* (category, distance, availability, provider: how well this
resource suits this need) and a *need part* (urgency, waiting, special group: how much this
need deserves to be served at all). Candidate generation ranks resources by the pair part;
the solver maximises the sum of full scores. Both parts are always summed in the same order
by the functions below, so a score recomputed for an explanation equals the one the solver saw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from resources.matching.data import Location, NeedInput, ResourceInput, Weights

EXACT_FIT = 1.0
PARENT_FIT = 0.6
NEAR_DISTANCE = 1.0
UNKNOWN_DISTANCE = 0.4
DISTANCE_SCALE_KM = 2.0
NEUTRAL_AVAILABILITY = 0.5
RATING_PRIOR_COUNT = 3
RATING_PRIOR_MEAN = 4.0
MAX_STARS = 5.0
COMPLETIONS_SATURATION = 20
MAX_WAITING_HOURS = 72.0
EARTH_RADIUS_KM = 6371.0088

FEATURE_NAMES = (
    "category",
    "distance",
    "availability",
    "provider",
    "urgency",
    "waiting",
    "special_group",
)


def haversine_km(a: Location, b: Location) -> float:
    """Great-circle distance in km between two (lat, lng) points."""
    lat1, lng1 = math.radians(a[0]), math.radians(a[1])
    lat2, lng2 = math.radians(b[0]), math.radians(b[1])
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def category_fit(category_id: int, parent_id: int | None, served: frozenset[int]) -> float:
    """1.0 when the resource serves the need's category, 0.6 when only its parent, else 0."""
    if category_id in served:
        return EXACT_FIT
    if parent_id is not None and parent_id in served:
        return PARENT_FIT
    return 0.0


def is_near(need_community_id: int, resource_community_id: int | None) -> bool:
    """A resource is near when it is in the need's community or serves the whole street."""
    return resource_community_id is None or resource_community_id == need_community_id


def distance_from_km(km: float) -> float:
    """Decay with distance: 1.0 at 0 km, about 0.61 at 1 km, 0.37 at 2 km."""
    return math.exp(-km / DISTANCE_SCALE_KM)


def distance(
    need_community_id: int,
    need_location: Location | None,
    resource_community_id: int | None,
    resource_location: Location | None,
) -> float:
    """1.0 when near; else decays with the distance when both points are known; else 0.4."""
    if is_near(need_community_id, resource_community_id):
        return NEAR_DISTANCE
    if need_location is None or resource_location is None:
        return UNKNOWN_DISTANCE
    return distance_from_km(haversine_km(need_location, resource_location))


def availability(need_slots: frozenset[str], resource_slots: frozenset[str]) -> float:
    """Share of the need's preferred slots the resource covers; 0.5 when either side is open."""
    if not need_slots or not resource_slots:
        return NEUTRAL_AVAILABILITY
    return len(need_slots & resource_slots) / len(need_slots)


def slots_compatible(need_slots: frozenset[str], resource_slots: frozenset[str]) -> bool:
    """Whether the times fit at all: open on either side, or at least one common slot."""
    return not need_slots or not resource_slots or not need_slots.isdisjoint(resource_slots)


def provider(resource: ResourceInput) -> float:
    """Track record: a Bayesian star average (prior 4.0 over 3 ratings) and completions."""
    mean = (resource.rating_sum + RATING_PRIOR_COUNT * RATING_PRIOR_MEAN) / (
        max(resource.rating_count, 0) + RATING_PRIOR_COUNT
    )
    rating = min(1.0, max(0.0, mean / MAX_STARS))
    done = min(1.0, math.log1p(max(resource.completions, 0)) / math.log1p(COMPLETIONS_SATURATION))
    return 0.7 * rating + 0.3 * done


def urgency(level: int) -> float:
    """Urgency 1..4 mapped to 0..1."""
    return min(1.0, max(0.0, (level - 1) / 3))


def waiting(hours: float) -> float:
    """Waiting time, saturating at three days."""
    return min(max(hours, 0.0), MAX_WAITING_HOURS) / MAX_WAITING_HOURS


def special_group(flag: bool) -> float:
    """1.0 for elderly, disabled and other special groups."""
    return 1.0 if flag else 0.0


def pair_part(weights: Weights, category: float, dist: float, avail: float, prov: float) -> float:
    """The weighted sum of the features that depend on the resource (not yet normalised)."""
    return (
        weights.category * category
        + weights.distance * dist
        + weights.availability * avail
        + weights.provider * prov
    )


def need_part(weights: Weights, need: NeedInput) -> float:
    """The weighted sum of the features that depend on the need alone (not yet normalised)."""
    return (
        weights.urgency * urgency(need.urgency)
        + weights.waiting * waiting(need.waiting_hours)
        + weights.special_group * special_group(need.special_group)
    )


def final_score(pair: float, need: float, weights: Weights) -> int:
    """round(1000 × weighted sum / sum of weights), clamped to 0..1000; 0 when all weights are 0."""
    total = weights.total
    if total == 0:
        return 0
    return min(1000, max(0, round(1000 * (pair + need) / total)))


@dataclass(frozen=True, slots=True)
class FeatureValues:
    """All seven feature values for one (need, resource) pair."""

    category: float
    distance: float
    availability: float
    provider: float
    urgency: float
    waiting: float
    special_group: float

    def contributions(self, weights: Weights) -> dict[str, float]:
        """Weight × value per feature, keyed by feature name."""
        return {name: getattr(weights, name) * getattr(self, name) for name in FEATURE_NAMES}


def features_for(need: NeedInput, resource: ResourceInput) -> FeatureValues:
    """Compute every feature of a pair."""
    return FeatureValues(
        category=category_fit(need.category_id, need.category_parent_id, resource.category_ids),
        distance=distance(
            need.community_id, need.location, resource.community_id, resource.location
        ),
        availability=availability(need.slots, resource.slots),
        provider=provider(resource),
        urgency=urgency(need.urgency),
        waiting=waiting(need.waiting_hours),
        special_group=special_group(need.special_group),
    )


def score(need: NeedInput, resource: ResourceInput, weights: Weights) -> int:
    """The 0..1000 score of a pair, exactly as candidate generation computes it."""
    values = features_for(need, resource)
    pair = pair_part(
        weights, values.category, values.distance, values.availability, values.provider
    )
    return final_score(pair, need_part(weights, need), weights)

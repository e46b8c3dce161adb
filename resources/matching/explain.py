"""Why a resource was proposed: reason codes a page renders in the reader's language.

Reasons come in the order of their contribution (weight × feature value), largest first, and
only for features that helped: a zero weight or a zero value says nothing, nor does neutral
availability (either side open at any time). Codes and params are a contract with the pages:

    ("same_community", {})                         resource in the need's own community
    ("same_street", {"km": 1.2 | None})            street-wide or another community of the street
    ("category_fit", {"category_id": 12, "exact": True})
    ("availability", {"slots": ["weekday_morning", ...]})   common slots, sorted
    ("provider_rating", {"rating": 4.8, "count": 12})       when rated
    ("provider_completions", {"count": 3})                  when not rated but has completions
    ("urgency", {"level": 3})                      urgency 3 or 4
    ("waiting", {"hours": 30})                     waiting 24 h or more (whole hours)
    ("special_group", {})
"""

from __future__ import annotations

from resources.matching.data import NeedInput, Reason, ResourceInput, Weights
from resources.matching.features import (
    EXACT_FIT,
    FEATURE_NAMES,
    FeatureValues,
    features_for,
    haversine_km,
)

URGENT_LEVEL = 3
LONG_WAIT_HOURS = 24


def _km(need: NeedInput, resource: ResourceInput) -> float | None:
    if need.location is None or resource.location is None:
        return None
    return round(haversine_km(need.location, resource.location), 1)


def _reason(
    name: str, need: NeedInput, resource: ResourceInput, values: FeatureValues
) -> Reason | None:
    """The reason for one feature, or None when there is nothing worth saying."""
    if name == "distance":
        if resource.community_id == need.community_id:
            return ("same_community", {})
        return ("same_street", {"km": _km(need, resource)})
    if name == "category":
        exact = values.category == EXACT_FIT
        category_id = need.category_id if exact else need.category_parent_id
        return ("category_fit", {"category_id": category_id, "exact": exact})
    if name == "availability":
        # Neutral when either side is open; half the need's slots covered is a real 0.5.
        if not (need.slots and resource.slots):
            return None
        return ("availability", {"slots": sorted(need.slots & resource.slots)})
    if name == "provider":
        if resource.rating_count > 0:
            rating = round(resource.rating_sum / resource.rating_count, 1)
            return ("provider_rating", {"rating": rating, "count": resource.rating_count})
        if resource.completions > 0:
            return ("provider_completions", {"count": resource.completions})
        return None
    if name == "urgency":
        return ("urgency", {"level": need.urgency}) if need.urgency >= URGENT_LEVEL else None
    if name == "waiting":
        hours = int(need.waiting_hours)
        return ("waiting", {"hours": hours}) if hours >= LONG_WAIT_HOURS else None
    if name == "special_group":
        return ("special_group", {}) if need.special_group else None
    raise ValueError(f"unknown feature {name!r}")


def explain(need: NeedInput, resource: ResourceInput, weights: Weights) -> tuple[Reason, ...]:
    """The reasons a resource suits a need, most important first."""
    values = features_for(need, resource)
    contributions = values.contributions(weights)
    # Stable sort: equal contributions keep FEATURE_NAMES order.
    ordered = sorted(FEATURE_NAMES, key=lambda name: -contributions[name])
    reasons: list[Reason] = []
    for name in ordered:
        if getattr(weights, name) <= 0 or getattr(values, name) <= 0:
            continue
        reason = _reason(name, need, resource, values)
        if reason is not None:
            reasons.append(reason)
    return tuple(reasons)

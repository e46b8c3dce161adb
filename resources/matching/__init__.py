"""The matching engine: pure Python over plain records, no Django.

`run_matching(needs, resources, weights=..., max_candidates=..., excluded=...)` generates
candidates (`candidates`), scores them (`features`), picks the optimal assignment by min-cost
flow and a greedy baseline (`solver`), and explains each proposal (`explain`).
"""

from resources.matching.candidates import generate_candidates
from resources.matching.data import (
    Candidate,
    MatchResult,
    NeedInput,
    Proposal,
    Reason,
    ResourceInput,
    Weights,
)
from resources.matching.engine import run_matching
from resources.matching.explain import explain
from resources.matching.features import score

__all__ = [
    "Candidate",
    "MatchResult",
    "NeedInput",
    "Proposal",
    "Reason",
    "ResourceInput",
    "Weights",
    "explain",
    "generate_candidates",
    "run_matching",
    "score",
]

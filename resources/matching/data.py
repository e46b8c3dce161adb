"""The plain records the matching engine reads and returns.

The caller (the database side) turns needs and resources into these frozen records; the
engine never sees a model, a queryset or a request, so it runs the same in a test, a
benchmark and a Celery task.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

Location = tuple[float, float]
"""(latitude, longitude) in degrees."""

Reason = tuple[str, dict]
"""(code, params): why a resource suits a need; params hold JSON-serialisable values only."""


@dataclass(frozen=True, slots=True)
class NeedInput:
    """A need waiting for a resource, reduced to what the engine scores."""

    id: int
    community_id: int
    category_id: int
    category_parent_id: int | None  # parent category of the need's category, if any
    urgency: int  # 1..4
    waiting_hours: float  # since submission
    special_group: bool
    slots: frozenset[str] = frozenset()  # preferred AvailabilitySlot codes; empty = any time
    location: Location | None = None  # centre of the need's grid or community


@dataclass(frozen=True, slots=True)
class ResourceInput:
    """A resource that can still take needs, reduced to what the engine scores."""

    id: int
    community_id: int | None  # None when it serves the whole street
    category_ids: frozenset[int]
    capacity: int  # remaining capacity (>= 0)
    slots: frozenset[str] = frozenset()  # availability; empty = any time
    location: Location | None = None
    completions: int = 0  # needs it helped resolve before
    rating_sum: int = 0  # sum of the stars of those ratings
    rating_count: int = 0


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each feature counts, each an int 0..10 (the `matching.weight_*` settings).

    All zero is allowed: every score is then 0 and nothing is proposed.
    """

    category: int = 3
    distance: int = 2
    availability: int = 2
    provider: int = 2
    urgency: int = 2
    waiting: int = 1
    special_group: int = 2

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
                raise ValueError(f"weight {field.name} must be an int 0..10, got {value!r}")

    @property
    def total(self) -> int:
        """The sum of all weights, the denominator of every score."""
        return (
            self.category
            + self.distance
            + self.availability
            + self.provider
            + self.urgency
            + self.waiting
            + self.special_group
        )


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True, slots=True)
class Candidate:
    """A resource that may serve a need, with its score; the solver chooses among these.

    `near` is True when the resource is in the need's community or serves the whole street.
    """

    need_id: int
    resource_id: int
    score: int  # 0..1000
    near: bool


@dataclass(frozen=True, slots=True)
class Proposal:
    """A resource proposed for a need, with the reasons a worker is shown."""

    need_id: int
    resource_id: int
    score: int  # 0..1000
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The outcome of one matching run: the optimal assignment and the greedy baseline."""

    proposals: tuple[Proposal, ...]  # the optimal assignment, ordered by need id
    optimal_total: int
    greedy_total: int  # greedy baseline on the same candidates
    greedy_proposals: tuple[Proposal, ...]
    candidate_count: int
    seconds_candidates: float
    seconds_optimal: float
    seconds_greedy: float

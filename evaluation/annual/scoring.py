"""Scores of the annual evaluation, from raw yearly figures to a 0–100 score per subject.

Pure Python over plain values (no ORM), so it is tested with hypothesis on hand-built cohorts.

How a score is made:

1. Each **indicator** turns a subject's raw figure into 0–100:

   * *relative* indicators (hours served, resources used, projects completed, needs resolved,
     special-group needs served) are divided by the best figure of the **cohort** (everyone of
     the same kind — members or units — enrolled in the same street that year) and scaled to
     100: the best gets 100, nothing gets 0, and a cohort where nobody did anything gets 0 all
     round. Negative figures (hours after a correction) count as 0.
   * *stars* (the mean resident rating) map 1 → 0 and 5 → 100. A subject nobody rated gets
     the neutral 3 stars (50), so a missing rating neither sinks nor lifts a score.
   * *capped* indicators (months active in the year out of 12, consecutive years enrolled up
     to 5) are absolute: ``min(value, cap) / cap * 100``.

2. A relative indicator on which nobody in the cohort has anything (no member of the street
   provided a resource this year, say) cannot tell anyone apart: it is **left out** of its
   category rather than counted as 0 for all, which would only lower everyone's score.

3. A **category** score is the plain mean of its counted indicators that apply to the
   subject's kind (units serve no hours, so hours are not one of their indicators). A category
   left with no counted indicator is left out too, and the weights of the others are scaled up
   to make 100 again. Resident satisfaction is always counted.

4. The **computed score** is the weighted sum of the category scores, the weights being
   percentages that add up to 100 with resident satisfaction at 40% or more.

5. The **final score** adds the street officers' manual adjustments and keeps the result
   within 0–100.

Every figure is a ``Decimal`` rounded half-up to two places.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

HUNDRED = Decimal("100")
ZERO = Decimal("0")
QUANTUM = Decimal("0.01")
NEUTRAL_STARS = Decimal("3")
MIN_SATISFACTION_WEIGHT = Decimal("40")


def q(value: Decimal | int) -> Decimal:
    """Two places, half up."""
    return Decimal(value).quantize(QUANTUM, ROUND_HALF_UP)


class Category(StrEnum):
    INPUT_OUTPUT = "input_output"
    SATISFACTION = "satisfaction"
    SOCIAL_BENEFIT = "social_benefit"
    SUSTAINABILITY = "sustainability"


class SubjectKind(StrEnum):
    MEMBER = "member"
    UNIT = "unit"


class Scale(StrEnum):
    RELATIVE = "relative"
    STARS = "stars"
    CAPPED = "capped"


BOTH = frozenset({SubjectKind.MEMBER, SubjectKind.UNIT})


@dataclass(frozen=True, slots=True)
class Indicator:
    code: str
    category: Category
    scale: Scale
    kinds: frozenset[SubjectKind] = BOTH
    cap: Decimal | None = None


INDICATORS: tuple[Indicator, ...] = (
    Indicator("hours", Category.INPUT_OUTPUT, Scale.RELATIVE, frozenset({SubjectKind.MEMBER})),
    Indicator("resources_used", Category.INPUT_OUTPUT, Scale.RELATIVE),
    Indicator("projects_completed", Category.INPUT_OUTPUT, Scale.RELATIVE),
    Indicator("mean_rating", Category.SATISFACTION, Scale.STARS),
    Indicator("needs_resolved", Category.SOCIAL_BENEFIT, Scale.RELATIVE),
    Indicator(
        "activities_served",
        Category.SOCIAL_BENEFIT,
        Scale.RELATIVE,
        frozenset({SubjectKind.MEMBER}),
    ),
    Indicator("special_group_needs", Category.SOCIAL_BENEFIT, Scale.RELATIVE),
    Indicator("active_months", Category.SUSTAINABILITY, Scale.CAPPED, cap=Decimal("12")),
    Indicator("consecutive_years", Category.SUSTAINABILITY, Scale.CAPPED, cap=Decimal("5")),
)
INDICATOR_CODES = tuple(indicator.code for indicator in INDICATORS)


def indicators_for(kind: SubjectKind) -> tuple[Indicator, ...]:
    return tuple(indicator for indicator in INDICATORS if kind in indicator.kinds)


@dataclass(frozen=True, slots=True)
class Weights:
    """Category weights in percent."""

    input_output: Decimal
    satisfaction: Decimal
    social_benefit: Decimal
    sustainability: Decimal

    def of(self, category: Category) -> Decimal:
        return getattr(self, category.value)

    @property
    def total(self) -> Decimal:
        return sum((self.of(category) for category in Category), ZERO)

    def only(self, kept: Iterable[Category]) -> Weights:
        """These weights with the categories not ``kept`` at 0 and the others scaled to 100."""
        kept = set(kept)
        total = sum((self.of(c) for c in kept), ZERO)
        return Weights(
            **{
                c.value: q(self.of(c) * HUNDRED / total) if c in kept and total else ZERO
                for c in Category
            }
        )


DEFAULT_WEIGHTS = Weights(
    input_output=Decimal("20"),
    satisfaction=Decimal("40"),
    social_benefit=Decimal("25"),
    sustainability=Decimal("15"),
)


def weight_problems(weights: Weights) -> list[str]:
    """What is wrong with ``weights``: ``negative``, ``sum`` (not 100) or ``satisfaction_min``."""
    problems = []
    if any(weights.of(category) < 0 for category in Category):
        problems.append("negative")
    if weights.total != HUNDRED:
        problems.append("sum")
    if weights.satisfaction < MIN_SATISFACTION_WEIGHT:
        problems.append("satisfaction_min")
    return problems


@dataclass(frozen=True, slots=True)
class SubjectFigures:
    """One subject's raw figures for the year; ``mean_rating`` is None when nobody rated it."""

    key: str
    kind: SubjectKind
    hours: Decimal = ZERO
    resources_used: int = 0
    projects_completed: int = 0
    mean_rating: Decimal | None = None
    needs_resolved: int = 0
    special_group_needs: int = 0
    activities_served: int = 0
    active_months: int = 0
    consecutive_years: int = 0
    # How many ratings make up ``mean_rating`` (shown with it; not an indicator).
    ratings_count: int = 0

    def value(self, code: str) -> Decimal | None:
        raw = getattr(self, code)
        return None if raw is None else Decimal(raw)


@dataclass(frozen=True, slots=True)
class Score:
    """A subject's indicator scores (None: left out in this cohort), category scores (0 for a
    category left out), the weights in force for its cohort and the computed score."""

    key: str
    indicators: dict[str, Decimal | None] = field(default_factory=dict)
    categories: dict[Category, Decimal] = field(default_factory=dict)
    computed: Decimal = ZERO
    weights: Weights | None = None


def _stars(mean: Decimal | None) -> Decimal:
    stars = NEUTRAL_STARS if mean is None else min(max(mean, Decimal("1")), Decimal("5"))
    return (stars - 1) / 4 * HUNDRED


def _relative(value: Decimal, best: Decimal) -> Decimal:
    if best <= 0:
        return ZERO
    return max(value, ZERO) / best * HUNDRED


def _capped(value: Decimal, cap: Decimal) -> Decimal:
    return min(max(value, ZERO), cap) / cap * HUNDRED


def score_cohort(cohort: Sequence[SubjectFigures], weights: Weights) -> dict[str, Score]:
    """Scores of every subject of one cohort (all of one kind), keyed by subject key."""
    kinds = {subject.kind for subject in cohort}
    if len(kinds) > 1:
        raise ValueError("A cohort holds members or units, not both.")
    if not cohort:
        return {}
    indicators = indicators_for(kinds.pop())
    best = {
        indicator.code: max((max(s.value(indicator.code), ZERO) for s in cohort), default=ZERO)
        for indicator in indicators
        if indicator.scale == Scale.RELATIVE
    }
    counted = [i for i in indicators if i.scale != Scale.RELATIVE or best[i.code] > 0]
    kept = {i.category for i in counted} | {Category.SATISFACTION}
    in_force = weights.only(kept) if kept != set(Category) else weights
    kept_total = sum((weights.of(c) for c in kept), ZERO)
    scores = {}
    for subject in cohort:
        values: dict[str, Decimal | None] = {i.code: None for i in indicators}
        for indicator in counted:
            raw = subject.value(indicator.code)
            if indicator.scale == Scale.STARS:
                values[indicator.code] = q(_stars(raw))
            elif indicator.scale == Scale.CAPPED:
                values[indicator.code] = q(_capped(raw, indicator.cap))
            else:
                values[indicator.code] = q(_relative(raw, best[indicator.code]))
        categories = {}
        for category in Category:
            members = [values[i.code] for i in counted if i.category == category]
            categories[category] = q(sum(members, ZERO) / len(members)) if members else ZERO
        weighted = sum((categories[c] * weights.of(c) for c in kept), ZERO)
        computed = q(weighted / kept_total) if kept_total else ZERO
        scores[subject.key] = Score(subject.key, values, categories, computed, in_force)
    return scores


def final_score(computed: Decimal, adjustments: Iterable[Decimal] = ()) -> Decimal:
    """The computed score plus manual adjustments, kept within 0–100."""
    return q(min(max(computed + sum(adjustments, ZERO), ZERO), HUNDRED))


def competition_ranks(scores: Mapping[str, Decimal]) -> dict[str, int]:
    """Rank 1 for the highest score; equal scores share a rank and the next rank is skipped."""
    ordered = sorted(scores.values(), reverse=True)
    first_at: dict[Decimal, int] = {}
    for position, value in enumerate(ordered, start=1):
        first_at.setdefault(value, position)
    return {key: first_at[value] for key, value in scores.items()}


def bottom_ranks(scores: Mapping[str, Decimal]) -> dict[str, int]:
    """Rank 1 for the lowest score, ties shared (what "the bottom N" counts)."""
    return competition_ranks({key: -value for key, value in scores.items()})

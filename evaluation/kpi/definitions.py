"""What each KPI of shared/DOMAIN.md counts, and how its parts add up. Pure: no ORM.

Every KPI is stored per community and day as a numerator and a denominator (plus, for the
median response time, a histogram of response hours). A street, district or the city is the
sum of its communities' parts; a period is the sum of its days' parts. Nothing averages
averages, so a street's figure is exactly what its communities' raw records give.

Two kinds of parts:

* **Flow** parts (``SUM``) count events of the day. They add up over days and areas.
* **Stock** parts (``LAST``) describe the state at the end of the day (how many members are
  enrolled, how many needs are open, how many members served in the year so far). Over a
  period the last day's parts are taken; over areas they add up.

Attribution to a day, chosen so that a day's figures stop changing once it has passed:

* need response rate — needs accepted within the response clock over needs submitted. A need
  counts on the day its outcome was known: when it was accepted or rejected, or when its clock
  ran out, whichever came first. Only an acceptance at or before ``due_at`` counts as a
  response; a rejection (even in time) or a late acceptance counts in the denominator only. A
  need still inside its clock is not counted yet. Merged needs are duplicates of another need
  (which is counted), so they are left out of both parts.
* need response time — needs accepted that day; hours from submission to acceptance. The
  figure is the median, read from the merged histogram of whole hours.
* closed-loop rate — needs submitted that day (merged ones excluded): those now resolved and
  rated by the resident. It settles as needs close, so the nightly job recomputes the last
  ``SETTLE_DAYS`` days; ``rebuild_kpis`` recomputes any range.
* resident satisfaction — residents' ratings given that day (the resident's stars on a need,
  and residents' stars on the projects that met their needs, rater key ``need:<id>``): 4–5
  stars over all ratings. Members' ratings of activities are not residents' and do not count.
* matching accuracy — proposals decided that day: accepted over accepted + rejected (expired
  proposals were never decided by a person).
* dispute mediation success — neighbour-dispute needs closed that day: resolved over resolved
  + rejected (merged duplicates excluded).
* volunteer hours — verified service hours dated that day (corrections included, with their
  sign) per member enrolled at the end of the period (numerator summed, denominator last).
* member enrollment rate — at the end of the day: members registered in the community (home
  community) who hold a confirmed enrollment for that year, over members registered.
* member participation — members enrolled with the community for the year at the end of the
  period who have a positive net verified service in the period, over those enrolled. The
  stored day holds the year so far (so the year's figure and the public page read it
  directly); the dashboards compute any other period from the raw records
  (``PERIOD_DISTINCT_KPIS``), since distinct members cannot be summed over days.
* unit docking rate — units enrolled for the year at the end of the day that provide at least
  one resource used by a project running in the year so far, over units enrolled.
* resource utilisation — resources of the community not retired (the resource status keeps no
  history) that were used in the period (by a project running in it or a match accepted in
  it), over those resources. Stored and read like member participation.
* matching coverage — needs open at the end of the day with at least one match proposed by
  then, over needs open.
* special-group coverage — the register has no households, so households are approximated by
  the requester's phone on special-group needs (elderly living alone, disabled, children,
  low-income, veterans, new residents): households with such a need this year, of which those
  with a need resolved by the end of the day. A household asking in two communities counts in
  each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

# Days of cohort KPIs (closed-loop, volunteer hours) the nightly job recomputes.
SETTLE_DAYS = 60
# Response hours are kept per whole hour up to a week; slower answers share the last bucket.
HISTOGRAM_CAP_HOURS = 168
HUNDRED = Decimal(100)


class Mode(StrEnum):
    SUM = "sum"
    LAST = "last"


class Formula(StrEnum):
    PERCENT = "percent"  # numerator / denominator × 100
    MEDIAN = "median"  # median of the histogram
    PER_MEMBER = "per_member"  # numerator / denominator


class Better(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"
    NEUTRAL = "neutral"


@dataclass(frozen=True)
class KpiSpec:
    code: str
    label: object
    short: object
    formula: Formula
    numerator_mode: Mode
    denominator_mode: Mode
    better: Better
    default_target: Decimal | None
    unit: object

    @property
    def target_key(self) -> str:
        return f"kpi.target.{self.code}"

    @property
    def has_target(self) -> bool:
        return self.default_target is not None


def _spec(code, label, short, formula, num, den, better, target, unit) -> KpiSpec:
    return KpiSpec(
        code=code,
        label=label,
        short=short,
        formula=formula,
        numerator_mode=num,
        denominator_mode=den,
        better=better,
        default_target=None if target is None else Decimal(target),
        unit=unit,
    )


S, L = Mode.SUM, Mode.LAST
P, M, PM = Formula.PERCENT, Formula.MEDIAN, Formula.PER_MEMBER
UP, DOWN = Better.HIGHER, Better.LOWER

KPIS: tuple[KpiSpec, ...] = (
    _spec("need_response_rate", _("Need response rate"), _("Response rate"), P, S, S, UP, "95", "%"),
    _spec("need_response_time", _("Need response time (median)"), _("Response time"), M, S, S, DOWN, "24", _("h")),
    _spec("closed_loop_rate", _("Closed-loop rate"), _("Closed loop"), P, S, S, UP, "85", "%"),
    _spec("resident_satisfaction", _("Resident satisfaction"), _("Satisfaction"), P, S, S, UP, "90", "%"),
    _spec("member_enrollment_rate", _("Member enrollment rate"), _("Enrollment rate"), P, L, L, UP, "100", "%"),
    _spec("member_participation", _("Member participation"), _("Participation"), P, L, L, UP, "90", "%"),
    _spec("unit_docking_rate", _("Unit docking rate"), _("Unit docking"), P, L, L, UP, "85", "%"),
    _spec("resource_utilisation", _("Resource utilisation"), _("Resource use"), P, L, L, UP, "75", "%"),
    _spec("matching_coverage", _("Matching coverage"), _("Match coverage"), P, L, L, UP, "60", "%"),
    _spec("matching_accuracy", _("Matching accuracy"), _("Match accuracy"), P, S, S, UP, "85", "%"),
    _spec("special_group_coverage", _("Special-group coverage"), _("Special groups"), P, L, L, UP, "80", "%"),
    _spec("dispute_mediation_success", _("Dispute mediation success"), _("Disputes settled"), P, S, S, UP, "75", "%"),
    _spec("volunteer_hours", _("Volunteer hours per enrolled member"), _("Hours per member"), PM, S, L, Better.NEUTRAL, None, _("h")),
)  # fmt: skip

KPI_BY_CODE: dict[str, KpiSpec] = {spec.code: spec for spec in KPIS}
KPI_CODES: tuple[str, ...] = tuple(KPI_BY_CODE)
# "In the period" KPIs that count distinct members or resources: a period's figure cannot be
# summed from its days, so the dashboards read them for the period from the raw records
# (``evaluation.selectors_kpi.period_figures``); the stored days keep the year so far.
PERIOD_DISTINCT_KPIS = ("member_participation", "resource_utilisation")
# The KPIs whose days keep changing after they pass (see the module docstring).
SETTLING_KPIS = frozenset({"closed_loop_rate", "volunteer_hours", "member_participation"})


@dataclass
class Parts:
    """Numerator, denominator and (for medians) a histogram {whole hours: count}."""

    numerator: Decimal = Decimal(0)
    denominator: Decimal = Decimal(0)
    histogram: dict[str, int] = field(default_factory=dict)

    def add(self, other: Parts) -> Parts:
        self.numerator += other.numerator
        self.denominator += other.denominator
        for bucket, count in other.histogram.items():
            self.histogram[bucket] = self.histogram.get(bucket, 0) + count
        return self

    def is_empty(self) -> bool:
        return not self.numerator and not self.denominator and not self.histogram


def sum_parts(parts: Iterable[Parts]) -> Parts:
    """Add parts up (areas of one day, or the flow parts of several days)."""
    total = Parts()
    for part in parts:
        total.add(part)
    return total


def period_parts(spec: KpiSpec, *, summed: Parts, last: Parts) -> Parts:
    """A period's parts from the sum of its days' parts and its last day's parts."""
    return Parts(
        numerator=summed.numerator if spec.numerator_mode is Mode.SUM else last.numerator,
        denominator=summed.denominator if spec.denominator_mode is Mode.SUM else last.denominator,
        histogram=dict(summed.histogram),
    )


def combine_days(spec: KpiSpec, days: Mapping[date, Parts], *, last_day: date) -> Parts:
    """The parts of a period from its days' parts; a day without parts counts as zero.

    ``last_day`` is the period's last day (stock KPIs take its parts, even when it has none).
    """
    return period_parts(spec, summed=sum_parts(days.values()), last=days.get(last_day, Parts()))


def hour_bucket(hours: float | Decimal) -> str:
    """The histogram bucket of a response time: whole hours, capped at a week."""
    whole = int(max(Decimal(0), Decimal(str(hours))))
    return str(min(whole, HISTOGRAM_CAP_HOURS))


def median_from_histogram(histogram: Mapping[str, int]) -> Decimal | None:
    """The median of values bucketed by whole hours, interpolated inside the median's bucket.

    Bucket ``h`` holds values in [h, h+1). With n values the median is the one of rank n/2,
    assuming the values of a bucket are spread evenly across it.
    """
    buckets = sorted((int(hour), count) for hour, count in histogram.items() if count > 0)
    total = sum(count for _hour, count in buckets)
    if total == 0:
        return None
    half = Decimal(total) / 2
    seen = 0
    for hour, count in buckets:
        if seen + count >= half:
            inside = (half - seen) / count
            return (Decimal(hour) + inside).quantize(Decimal("0.1"), ROUND_HALF_UP)
        seen += count
    return Decimal(buckets[-1][0])


def value_of(spec: KpiSpec, parts: Parts) -> Decimal | None:
    """The KPI's figure from its parts; None when there is nothing to divide by."""
    if spec.formula is Formula.MEDIAN:
        return median_from_histogram(parts.histogram)
    if not parts.denominator:
        return None
    ratio = parts.numerator / parts.denominator
    if spec.formula is Formula.PERCENT:
        return (ratio * HUNDRED).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return ratio.quantize(Decimal("0.01"), ROUND_HALF_UP)


def meets_target(spec: KpiSpec, value: Decimal | None, target: Decimal | None) -> bool | None:
    """True when the value reaches the target (for lower-is-better, stays under it)."""
    if value is None or target is None or spec.better is Better.NEUTRAL:
        return None
    return value <= target if spec.better is Better.LOWER else value >= target


def trend(value: Decimal | None, previous: Decimal | None) -> str:
    """ "up", "down" or "flat" against the previous period; "" when either is missing."""
    if value is None or previous is None:
        return ""
    if value > previous:
        return "up"
    if value < previous:
        return "down"
    return "flat"


# Display buckets of the response-time distribution chart: [lower, upper) in hours.
RESPONSE_BANDS: tuple[tuple[int, int | None], ...] = (
    (0, 2),
    (2, 4),
    (4, 8),
    (8, 12),
    (12, 24),
    (24, 48),
    (48, None),
)


def response_bands(histogram: Mapping[str, int]) -> list[tuple[str, int]]:
    """The histogram regrouped into the chart's bands, as (label, count)."""
    rows = []
    for lower, upper in RESPONSE_BANDS:
        count = sum(
            n
            for hour, n in histogram.items()
            if int(hour) >= lower and (upper is None or int(hour) < upper)
        )
        rows.append((f"{lower}–{upper} h" if upper else f"≥ {lower} h", count))
    return rows


# Per-record rules, applied by the extraction to the rows it reads.


@dataclass(frozen=True)
class NeedFacts:
    """What the need KPIs read from one need."""

    community_id: int
    status: str
    submitted_at: datetime
    due_at: datetime
    accepted_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    rating: int | None = None
    evaluated_at: datetime | None = None
    is_dispute: bool = False


def answered_at(need: NeedFacts) -> datetime | None:
    """When the community answered: accepted, or rejected without being accepted first."""
    if need.accepted_at is not None:
        return need.accepted_at
    if need.status == "rejected":
        return need.closed_at
    return None


def response_outcome(need: NeedFacts, *, now: datetime) -> tuple[datetime, bool] | None:
    """(when the outcome was known, accepted within the clock?) — None while it is not known.

    Only an acceptance at or before ``due_at`` is a response; a rejection settles the outcome
    as "not accepted" when it comes first. Merged duplicates are never counted.
    """
    if need.status == "merged":
        return None
    answer = answered_at(need)
    if answer is not None and answer <= need.due_at:
        return answer, need.accepted_at is not None
    if need.due_at <= now:
        return need.due_at, False
    return None


def response_hours(need: NeedFacts) -> Decimal | None:
    """Hours from submission to acceptance (None when not accepted)."""
    if need.accepted_at is None:
        return None
    return Decimal((need.accepted_at - need.submitted_at).total_seconds()) / 3600


def is_closed_loop(need: NeedFacts) -> bool:
    """Resolved and rated by the resident."""
    return need.status in ("resolved", "evaluated") and need.rating is not None


def is_satisfied(rating: int) -> bool:
    return rating >= 4


def dispute_outcome(need: NeedFacts) -> tuple[datetime, bool] | None:
    """(when the dispute closed, settled?) for a neighbour-dispute need; None while open."""
    if not need.is_dispute:
        return None
    if need.resolved_at is not None:
        return need.resolved_at, True
    if need.status == "rejected" and need.closed_at is not None:
        return need.closed_at, False
    return None


def parts_from_counts(numerator: int | Decimal, denominator: int | Decimal) -> Parts:
    return Parts(numerator=Decimal(numerator), denominator=Decimal(denominator))

"""Reads of the annual evaluation: schemes in force, results for staff, published results for the
area's people, a subject's own results."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from evaluation.annual.lists import ListRules
from evaluation.annual.scoring import DEFAULT_WEIGHTS, Weights
from evaluation.models import (
    EvaluationAdjustment,
    EvaluationPublication,
    EvaluationResult,
    EvaluationScheme,
)
from portal.access import Action, scope, scope_audience
from portal.models import Area, User
from reporting.models import PartyMember, ResidentUnit

DEFAULT_RULES = ListRules()
# Members (no unit) before units, on SQLite and PostgreSQL alike (they sort NULLs apart).
MEMBERS_FIRST = F("unit_id").asc(nulls_first=True)


@dataclass(frozen=True)
class SchemeInForce:
    """The weights and list rules that apply, and the scheme they come from (None: defaults)."""

    weights: Weights
    rules: ListRules
    scheme: EvaluationScheme | None = None

    @classmethod
    def of(cls, scheme: EvaluationScheme | None) -> SchemeInForce:
        if scheme is None:
            return cls(DEFAULT_WEIGHTS, DEFAULT_RULES)
        return cls(
            Weights(
                input_output=scheme.weight_input_output,
                satisfaction=scheme.weight_satisfaction,
                social_benefit=scheme.weight_social_benefit,
                sustainability=scheme.weight_sustainability,
            ),
            ListRules(
                pass_mark=scheme.pass_mark,
                red_top_n=scheme.red_top_n,
                red_threshold=scheme.red_threshold,
                black_bottom_n=scheme.black_bottom_n,
            ),
            scheme,
        )


def scheme_for(*, area: Area, year: int) -> SchemeInForce:
    """The scheme of ``area`` for ``year``: the nearest area up the tree wins, and a scheme for
    the year beats an all-years scheme of the same area; the defaults when there is none
    (one query)."""
    best: tuple[tuple[int, bool], EvaluationScheme] | None = None
    for scheme in EvaluationScheme.objects.filter(
        area__path__in=area.ancestor_paths()
    ).select_related("area"):
        if scheme.year is not None and scheme.year != year:
            continue
        rank = (scheme.area.level, scheme.year is not None)
        if best is None or rank > best[0]:
            best = (rank, scheme)
    return SchemeInForce.of(best[1] if best else None)


def schemes_for(user: User) -> QuerySet[EvaluationScheme]:
    """Schemes of the areas where ``user`` may change settings."""
    return scope(
        EvaluationScheme.objects.select_related("area", "updated_by").order_by(
            "area__path", "year"
        ),
        user,
        Action.SETTING_CHANGE,
    )


def _with_subjects(qs: QuerySet[EvaluationResult]) -> QuerySet[EvaluationResult]:
    return qs.select_related("member__user", "unit", "community", "street")


def is_published(*, street: Area, year: int) -> bool:
    """Have the street's results of ``year`` been published (and so frozen)?"""
    return EvaluationPublication.objects.filter(street=street, year=year).exists()


def publication_of(*, street: Area, year: int) -> EvaluationPublication | None:
    """The publication of the street's results of ``year``, if any."""
    return (
        EvaluationPublication.objects.filter(street=street, year=year)
        .select_related("published_by")
        .first()
    )


def results_for(user: User, *, year: int) -> QuerySet[EvaluationResult]:
    """Results of ``year`` in the communities where ``user`` may see them before publication."""
    return _with_subjects(
        scope(EvaluationResult.objects.filter(year=year), user, Action.EVALUATION_VIEW)
    )


def get_result(*, user: User, pk: int) -> EvaluationResult:
    """One result ``user`` may see before publication; 404 otherwise."""
    return get_object_or_404(
        _with_subjects(scope(EvaluationResult.objects.all(), user, Action.EVALUATION_VIEW)), pk=pk
    )


@dataclass(frozen=True)
class RankingRow:
    """A result as it reads in one ranking: its rank and list standing at that level."""

    result: EvaluationResult
    rank: int
    standing: str
    standing_label: str
    reason_label: str


def _row(result: EvaluationResult, *, on_street: bool) -> RankingRow:
    if on_street:
        return RankingRow(
            result=result,
            rank=result.street_rank,
            standing=result.street_standing,
            standing_label=str(result.get_street_standing_display()),
            reason_label=str(result.get_street_reason_display()),
        )
    return RankingRow(
        result=result,
        rank=result.community_rank,
        standing=result.community_standing,
        standing_label=str(result.get_community_standing_display()),
        reason_label=str(result.get_community_reason_display()),
    )


def ranking(results: QuerySet[EvaluationResult], *, area: Area) -> list[RankingRow]:
    """The ranking of a street or a community within ``results``: members first, then units,
    best first (one query)."""
    if area.level == Area.Level.STREET:
        rows = results.filter(street=area).order_by(MEMBERS_FIRST, "street_rank", "id")
        return [_row(r, on_street=True) for r in rows]
    rows = results.filter(community=area).order_by(MEMBERS_FIRST, "community_rank", "id")
    return [_row(r, on_street=False) for r in rows]


def community_rankings(street_rows: list[RankingRow]) -> list[tuple[Area, list[RankingRow]]]:
    """Each community's ranking, regrouped from a street's rows (no query)."""
    grouped: dict[int, list[EvaluationResult]] = {}
    for row in street_rows:
        grouped.setdefault(row.result.community_id, []).append(row.result)
    rankings = []
    for results in grouped.values():
        results.sort(key=lambda r: (r.unit_id is not None, r.community_rank, r.pk))
        rankings.append((results[0].community, [_row(r, on_street=False) for r in results]))
    return sorted(rankings, key=lambda pair: pair[0].path)


def publications_for(user: User, *, year: int | None = None) -> QuerySet[EvaluationPublication]:
    """Publications addressed to an area ``user`` belongs to or oversees, newest year first."""
    qs = EvaluationPublication.objects.select_related("street")
    if year is not None:
        qs = qs.filter(year=year)
    return scope_audience(qs, user, Action.EVALUATION_RESULTS).order_by("-year", "street__path")


def published_results(*, publication: EvaluationPublication) -> QuerySet[EvaluationResult]:
    """The street ranking of one publication: members first, then units, best first."""
    return _with_subjects(
        EvaluationResult.objects.filter(year=publication.year, street=publication.street)
    ).order_by(MEMBERS_FIRST, "street_rank", "id")


def get_publication(*, user: User, pk: int) -> EvaluationPublication:
    """A publication ``user`` may read; 404 otherwise."""
    return get_object_or_404(publications_for(user), pk=pk)


def _published(qs: QuerySet[EvaluationResult]) -> QuerySet[EvaluationResult]:
    published = EvaluationPublication.objects.filter(
        street=OuterRef("street"), year=OuterRef("year")
    )
    return qs.filter(Exists(published))


def own_results(
    *, member: PartyMember | None = None, unit: ResidentUnit | None = None
) -> QuerySet[EvaluationResult]:
    """A member's or unit's own published results, newest year first."""
    subject = {"member": member} if member is not None else {"unit": unit}
    return _with_subjects(_published(EvaluationResult.objects.filter(**subject))).order_by("-year")


def adjustments_of(result: EvaluationResult) -> QuerySet[EvaluationAdjustment]:
    """Manual adjustments behind a result, oldest first."""
    subject = {"member_id": result.member_id} if result.member_id else {"unit_id": result.unit_id}
    return EvaluationAdjustment.objects.filter(year=result.year, **subject).select_related(
        "created_by"
    )


def evaluated_years(user: User) -> list[int]:
    """Years with results ``user`` may see before publication, newest first."""
    return list(
        scope(EvaluationResult.objects.all(), user, Action.EVALUATION_VIEW)
        .order_by("-year")
        .values_list("year", flat=True)
        .distinct()
    )


def own_unit_results(user: User) -> QuerySet[EvaluationResult]:
    """Published results of the units ``user`` is the contact of, newest year first."""
    return _with_subjects(
        _published(EvaluationResult.objects.filter(unit__contact=user, unit__isnull=False))
    ).order_by("-year", "unit__name")


def adjustments_for(results: list[EvaluationResult]) -> dict[int, list[EvaluationAdjustment]]:
    """The adjustments behind each of ``results`` (one query), keyed by result id."""
    wanted = {(r.year, r.member_id, r.unit_id): r.pk for r in results}
    grouped: dict[int, list[EvaluationAdjustment]] = {pk: [] for pk in wanted.values()}
    if not results:
        return grouped
    members = [r.member_id for r in results if r.member_id]
    units = [r.unit_id for r in results if r.unit_id]
    for adjustment in (
        EvaluationAdjustment.objects.filter(year__in={r.year for r in results})
        .filter(Q(member_id__in=members) | Q(unit_id__in=units))
        .select_related("created_by")
    ):
        pk = wanted.get((adjustment.year, adjustment.member_id, adjustment.unit_id))
        if pk is not None:
            grouped[pk].append(adjustment)
    return grouped

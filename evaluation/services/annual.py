"""Every write of the annual evaluation: compute, adjust and publish (schemes: .schemes).

The street is the unit of work: its members (and, separately, its units) form one cohort, so
community and street rankings rank the same scores. Computing a street again replaces its
results from the records (subjects no longer enrolled drop out); a published street is frozen
and computing skips it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from evaluation.annual.lists import Placing, place
from evaluation.annual.scoring import (
    Category,
    Score,
    SubjectFigures,
    SubjectKind,
    final_score,
    q,
    score_cohort,
)
from evaluation.models import (
    MAX_ADJUSTMENT,
    EvaluationAdjustment,
    EvaluationPublication,
    EvaluationResult,
)
from evaluation.selectors_annual import SchemeInForce, is_published, scheme_for
from evaluation.services.annual_extract import Enrolled, cohort, member_figures, unit_figures
from portal import audit
from portal.access import Action, can
from portal.errors import Conflict, InvalidInput, PermissionDenied
from portal.models import Area, User

_CATEGORY_FIELDS = {
    Category.INPUT_OUTPUT: "score_input_output",
    Category.SATISFACTION: "score_satisfaction",
    Category.SOCIAL_BENEFIT: "score_social_benefit",
    Category.SUSTAINABILITY: "score_sustainability",
}
_RESULT_FIELDS = [
    "community",
    "street",
    "figures",
    "indicator_scores",
    "weights",
    *_CATEGORY_FIELDS.values(),
    "computed_score",
    "adjustment",
    "final_score",
    "passed",
    "community_rank",
    "street_rank",
    "community_standing",
    "community_reason",
    "street_standing",
    "street_reason",
    "computed_at",
]


def streets_in(area: Area | None) -> list[Area]:
    """The streets a computation for ``area`` covers: a community's own street (its cohort),
    a street itself, every street below a district or city, every street when None."""
    if area is None:
        return list(Area.objects.filter(level=Area.Level.STREET).order_by("path"))
    if area.level == Area.Level.GRID:
        area = area.parent.parent
    elif area.level == Area.Level.COMMUNITY:
        area = area.parent
    if area.level == Area.Level.STREET:
        return [area]
    return list(
        Area.objects.filter(level=Area.Level.STREET, path__startswith=area.path).order_by("path")
    )


def _key(member_id: int | None, unit_id: int | None) -> str:
    return f"member:{member_id}" if member_id else f"unit:{unit_id}"


def _adjustments(*, year: int, subjects: list[Enrolled]) -> dict[str, Decimal]:
    members = [s.subject_id for s in subjects if s.kind == SubjectKind.MEMBER]
    units = [s.subject_id for s in subjects if s.kind == SubjectKind.UNIT]
    rows = (
        EvaluationAdjustment.objects.filter(year=year)
        .filter(Q(member_id__in=members) | Q(unit_id__in=units))
        .values("member_id", "unit_id")
        .annotate(total=Sum("points"))
    )
    return {_key(r["member_id"], r["unit_id"]): Decimal(r["total"]) for r in rows}


def _failed_last_year(*, year: int, subjects: list[Enrolled]) -> set[str]:
    members = [s.subject_id for s in subjects if s.kind == SubjectKind.MEMBER]
    units = [s.subject_id for s in subjects if s.kind == SubjectKind.UNIT]
    rows = (
        EvaluationResult.objects.filter(year=year - 1, passed=False)
        .filter(Q(member_id__in=members) | Q(unit_id__in=units))
        .values_list("member_id", "unit_id")
    )
    return {_key(member_id, unit_id) for member_id, unit_id in rows}


def _figures_json(figures: SubjectFigures) -> dict:
    return {
        "hours": str(figures.hours),
        "resources_used": figures.resources_used,
        "projects_completed": figures.projects_completed,
        "mean_rating": None if figures.mean_rating is None else str(figures.mean_rating),
        "ratings_count": figures.ratings_count,
        "needs_resolved": figures.needs_resolved,
        "special_group_needs": figures.special_group_needs,
        "activities_served": figures.activities_served,
        "active_months": figures.active_months,
        "consecutive_years": figures.consecutive_years,
    }


def _placings(
    subjects: list[Enrolled],
    finals: dict[str, Decimal],
    scheme: SchemeInForce,
    failed: set[str],
) -> tuple[dict[str, Placing], dict[str, Placing]]:
    """(street placings, community placings), ranking members and units apart."""
    street: dict[str, Placing] = {}
    community: dict[str, Placing] = {}
    for kind in SubjectKind:
        of_kind = [s for s in subjects if s.kind == kind]
        street |= place(
            {s.key: finals[s.key] for s in of_kind}, scheme.rules, failed_last_year=failed
        )
        by_community: dict[int, dict[str, Decimal]] = defaultdict(dict)
        for s in of_kind:
            by_community[s.community_id][s.key] = finals[s.key]
        for scores in by_community.values():
            community |= place(scores, scheme.rules, failed_last_year=failed)
    return street, community


def _result_values(
    subject: Enrolled,
    *,
    street: Area,
    figures: SubjectFigures,
    score: Score,
    adjustment: Decimal,
    final: Decimal,
    on_street: Placing,
    in_community: Placing,
    now: datetime,
) -> dict:
    values = {
        "community_id": subject.community_id,
        "street_id": street.pk,
        "figures": _figures_json(figures),
        "indicator_scores": {
            code: None if value is None else str(value) for code, value in score.indicators.items()
        },
        "weights": {c.value: str(q(score.weights.of(c))) for c in Category},
        "computed_score": score.computed,
        "adjustment": adjustment,
        "final_score": final,
        "passed": on_street.passed,
        "community_rank": in_community.rank,
        "street_rank": on_street.rank,
        "community_standing": in_community.standing.value,
        "community_reason": in_community.reason.value,
        "street_standing": on_street.standing.value,
        "street_reason": on_street.reason.value,
        "computed_at": now,
    }
    for category, field in _CATEGORY_FIELDS.items():
        values[field] = score.categories[category]
    return values


def compute_street(*, year: int, street: Area, now: datetime | None = None) -> dict[str, int]:
    """Score, rank and list every enrolled member and unit of one street for ``year``.

    Replaces the street's results of the year (keeping the rows of subjects still enrolled, so
    links to them stay valid). Refuses a published street. A subject who moved here from a
    street whose results of the year are published keeps that frozen result: it is neither
    moved nor rewritten, and the subject is left out of this street's scoring and lists
    (counted as ``kept_frozen``). Returns counts.
    """
    now = now or timezone.now()
    if street.level != Area.Level.STREET:
        raise InvalidInput(_("Results are computed per street."), field="area")
    scheme = scheme_for(area=street, year=year)
    subjects = cohort(year=year, street=street)
    figures = member_figures(
        [s.subject_id for s in subjects if s.kind == SubjectKind.MEMBER], year
    ) | unit_figures([s.subject_id for s in subjects if s.kind == SubjectKind.UNIT], year)
    with transaction.atomic():
        # The street's row is the lock: computing, adjusting and publishing queue up.
        Area.objects.select_for_update().filter(pk=street.pk).first()
        if is_published(street=street, year=year):
            raise Conflict(_("These results are published and can no longer change."))
        existing = {
            _key(r.member_id, r.unit_id): r
            for r in EvaluationResult.objects.select_for_update().filter(
                Q(year=year)
                & (
                    Q(street=street)
                    | Q(member_id__in=[s.subject_id for s in subjects if s.kind == "member"])
                    | Q(unit_id__in=[s.subject_id for s in subjects if s.kind == "unit"])
                )
            )
        }
        frozen_streets = set(
            EvaluationPublication.objects.filter(
                year=year, street_id__in={r.street_id for r in existing.values()} - {street.pk}
            ).values_list("street_id", flat=True)
        )
        frozen = {key for key, r in existing.items() if r.street_id in frozen_streets}
        subjects = [s for s in subjects if s.key not in frozen]
        for key in frozen:
            del existing[key]
        scores: dict[str, Score] = {}
        for kind in SubjectKind:
            scores |= score_cohort(
                [figures[s.key] for s in subjects if s.kind == kind], scheme.weights
            )
        adjustments = _adjustments(year=year, subjects=subjects)
        finals = {
            s.key: final_score(scores[s.key].computed, [adjustments.get(s.key, Decimal("0"))])
            for s in subjects
        }
        failed = _failed_last_year(year=year, subjects=subjects)
        on_street, in_community = _placings(subjects, finals, scheme, failed)
        to_create, to_update = [], []
        for subject in subjects:
            values = _result_values(
                subject,
                street=street,
                figures=figures[subject.key],
                score=scores[subject.key],
                adjustment=adjustments.get(subject.key, Decimal("0")),
                final=finals[subject.key],
                on_street=on_street[subject.key],
                in_community=in_community[subject.key],
                now=now,
            )
            result = existing.pop(subject.key, None)
            if result is None:
                to_create.append(
                    EvaluationResult(
                        year=year,
                        **{f"{subject.kind}_id": subject.subject_id},
                        **values,
                    )
                )
            else:
                for field, value in values.items():
                    setattr(result, field, value)
                to_update.append(result)
        stale = [r.pk for r in existing.values() if r.street_id == street.pk]
        EvaluationResult.objects.filter(pk__in=stale).delete()
        EvaluationResult.objects.bulk_create(to_create)
        EvaluationResult.objects.bulk_update(to_update, [f for f in _RESULT_FIELDS])
    return {"results": len(subjects), "removed": len(stale), "kept_frozen": len(frozen)}


def compute_evaluation(
    *, year: int, area: Area | None = None, now: datetime | None = None
) -> dict[str, int]:
    """Compute the results of ``year`` for every street of ``area`` (default: all streets).

    Published streets are skipped (their results are frozen). Idempotent: a second run with
    unchanged records writes the same figures. Returns counts per outcome.
    """
    counts = {"streets": 0, "results": 0, "removed": 0, "skipped_published": 0, "kept_frozen": 0}
    for street in streets_in(area):
        if is_published(street=street, year=year):
            counts["skipped_published"] += 1
            continue
        street_counts = compute_street(year=year, street=street, now=now)
        counts["streets"] += 1
        counts["results"] += street_counts["results"]
        counts["removed"] += street_counts["removed"]
        counts["kept_frozen"] += street_counts["kept_frozen"]
    with transaction.atomic():
        audit.record(
            action="evaluation.computed",
            area=area,
            data={"year": year, "counts": counts},
        )
    return counts


def compute_on_demand(*, year: int, area: Area, by: User) -> dict[str, int]:
    """A street officer recomputes the year for a street (or a community's street) in reach."""
    streets = streets_in(area)
    if not streets or not all(can(by, Action.EVALUATION_ADJUST, area=s) for s in streets):
        raise PermissionDenied(_("You cannot compute the evaluation of this area."))
    with transaction.atomic():
        counts = compute_evaluation(year=year, area=area)
        audit.record(
            action="evaluation.compute_requested",
            actor=by,
            area=area,
            data={"year": year, "counts": counts},
        )
    return counts


def adjust_score(
    *, result: EvaluationResult, points: Decimal, reason: str, by: User
) -> EvaluationResult:
    """A street officer moves a subject's score by ``points`` (±20 at most), giving a reason.

    The adjustment is kept (never edited: undo with an opposite one) and the street is
    recomputed so ranks and lists follow. Refused once the street's results are published.
    """
    if not can(by, Action.EVALUATION_ADJUST, area=result.community):
        raise PermissionDenied(_("Only the street's officers can adjust these scores."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give the reason for the adjustment."), field="reason")
    try:
        points = Decimal(points).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError):
        raise InvalidInput(_("Enter a number."), field="points") from None
    if points == 0 or abs(points) > MAX_ADJUSTMENT:
        raise InvalidInput(
            _("An adjustment is between -%(max)s and %(max)s points, and not 0.")
            % {"max": MAX_ADJUSTMENT},
            field="points",
        )
    street = result.street
    with transaction.atomic():
        Area.objects.select_for_update().filter(pk=street.pk).first()
        if is_published(street=street, year=result.year):
            raise Conflict(_("These results are published and can no longer change."))
        adjustment = EvaluationAdjustment.objects.create(
            year=result.year,
            member_id=result.member_id,
            unit_id=result.unit_id,
            community_id=result.community_id,
            points=points,
            reason=reason,
            created_by=by,
        )
        audit.record(
            action="evaluation.adjusted",
            actor=by,
            obj=adjustment,
            area=result.community,
            data={
                "year": result.year,
                "subject": _key(result.member_id, result.unit_id),
                "points": str(points),
                "reason": reason,
                "score_before": str(result.final_score),
            },
        )
        compute_street(year=result.year, street=street)
    return EvaluationResult.objects.get(pk=result.pk)


def publish_results(*, street: Area, year: int, by: User) -> EvaluationPublication:
    """Publish a street's results of ``year`` to the street's people; they are frozen after."""
    if street.level != Area.Level.STREET:
        raise InvalidInput(_("Results are published per street."), field="street")
    if not can(by, Action.EVALUATION_PUBLISH, area=street):
        raise PermissionDenied(_("You cannot publish this street's results."))
    with transaction.atomic():
        Area.objects.select_for_update().filter(pk=street.pk).first()
        if not EvaluationResult.objects.filter(street=street, year=year).exists():
            raise InvalidInput(_("There are no results to publish: compute them first."))
        publication, created = EvaluationPublication.objects.get_or_create(
            street=street,
            year=year,
            defaults={"published_at": timezone.now(), "published_by": by},
        )
        if not created:
            raise Conflict(_("These results are already published."))
        audit.record(
            action="evaluation.published",
            actor=by,
            obj=publication,
            area=street,
            data={"year": year},
        )
    return publication

"""How a stored evaluation result reads: indicator and category labels, and the breakdown of a
score (category → weight → indicators with their figure and 0–100 score)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from evaluation.annual.scoring import Category, SubjectKind, indicators_for
from evaluation.models import EvaluationResult

CATEGORY_LABELS = {
    Category.INPUT_OUTPUT: _("Input and output"),
    Category.SATISFACTION: _("Resident satisfaction"),
    Category.SOCIAL_BENEFIT: _("Social benefit"),
    Category.SUSTAINABILITY: _("Sustainability"),
}

INDICATOR_LABELS = {
    "hours": _("Verified service hours"),
    "resources_used": _("Resources provided that were used"),
    "projects_completed": _("Projects completed"),
    "mean_rating": _("Mean resident rating (stars)"),
    "needs_resolved": _("Needs resolved with its resources"),
    "special_group_needs": _("Special-group needs served"),
    "activities_served": _("Activities served"),
    "active_months": _("Months active in the year"),
    "consecutive_years": _("Consecutive years enrolled"),
}

CATEGORY_FIELDS = {
    Category.INPUT_OUTPUT: "score_input_output",
    Category.SATISFACTION: "score_satisfaction",
    Category.SOCIAL_BENEFIT: "score_social_benefit",
    Category.SUSTAINABILITY: "score_sustainability",
}


@dataclass(frozen=True)
class IndicatorLine:
    label: str
    figure: str
    score: str


@dataclass(frozen=True)
class CategoryLine:
    label: str
    weight: str
    score: Decimal
    indicators: list[IndicatorLine]

    @property
    def counted(self) -> bool:
        return Decimal(self.weight or "0") > 0


def _figure(code: str, figures: dict) -> str:
    value = figures.get(code)
    if code == "mean_rating":
        if value is None:
            return str(_("not rated (counted as 3 stars)"))
        return f"{value} ({figures.get('ratings_count', 0)})"
    return "—" if value is None else str(value)


def _indicator_score(value: str | None) -> str:
    # None: nobody of the street had any of it this year, so it was left out.
    return str(_("not counted")) if value is None else value


def breakdown_of(result: EvaluationResult) -> list[CategoryLine]:
    """The result's categories, each with its weight, score and indicators, in display order."""
    kind = SubjectKind.MEMBER if result.member_id else SubjectKind.UNIT
    indicators = indicators_for(kind)
    lines = []
    for category in Category:
        lines.append(
            CategoryLine(
                label=str(CATEGORY_LABELS[category]),
                weight=result.weights.get(category.value, ""),
                score=getattr(result, CATEGORY_FIELDS[category]),
                indicators=[
                    IndicatorLine(
                        label=str(INDICATOR_LABELS[indicator.code]),
                        figure=_figure(indicator.code, result.figures),
                        score=_indicator_score(result.indicator_scores.get(indicator.code)),
                    )
                    for indicator in indicators
                    if indicator.category == category
                ],
            )
        )
    return lines

"""Evaluation schemes: the category weights and the red/black list rules of an area and year."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from evaluation.annual.scoring import Weights, weight_problems
from evaluation.models import EvaluationScheme
from portal import audit
from portal.access import Action, can
from portal.errors import InvalidInput, PermissionDenied
from portal.models import Area, User


def _weight(value, field: str) -> Decimal:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError):
        raise InvalidInput(_("Enter a number."), field=field) from None


def set_scheme(
    *,
    area: Area,
    year: int | None,
    weights: Weights,
    pass_mark: Decimal,
    red_top_n: int,
    red_threshold: Decimal | None,
    black_bottom_n: int,
    by: User,
) -> EvaluationScheme:
    """Set the weights and list rules of a street or a higher area, for a year or all years.

    The weights are percentages adding up to 100, resident satisfaction at 40% or more.
    """
    if not can(by, Action.SETTING_CHANGE, area=area):
        raise PermissionDenied(_("You cannot change the evaluation scheme of this area."))
    if area.level > Area.Level.STREET:
        raise InvalidInput(
            _("Schemes are set for a street or above: a street's members are scored together."),
            field="area",
        )
    weights = Weights(
        input_output=_weight(weights.input_output, "weight_input_output"),
        satisfaction=_weight(weights.satisfaction, "weight_satisfaction"),
        social_benefit=_weight(weights.social_benefit, "weight_social_benefit"),
        sustainability=_weight(weights.sustainability, "weight_sustainability"),
    )
    problems = weight_problems(weights)
    if "negative" in problems:
        raise InvalidInput(_("Weights cannot be negative."), field="weight_input_output")
    if "satisfaction_min" in problems:
        raise InvalidInput(
            _("Resident satisfaction must weigh at least 40%."), field="weight_satisfaction"
        )
    if "sum" in problems:
        raise InvalidInput(
            _("The four weights must add up to 100%% (now %(total)s%%).")
            % {"total": weights.total},
            field="weight_input_output",
        )
    pass_mark = _weight(pass_mark, "pass_mark")
    if not Decimal("0") <= pass_mark <= Decimal("100"):
        raise InvalidInput(_("The pass mark is a score from 0 to 100."), field="pass_mark")
    if red_threshold is not None:
        red_threshold = _weight(red_threshold, "red_threshold")
        if not Decimal("0") <= red_threshold <= Decimal("100"):
            raise InvalidInput(_("Enter a score from 0 to 100."), field="red_threshold")
    values = {
        "weight_input_output": weights.input_output,
        "weight_satisfaction": weights.satisfaction,
        "weight_social_benefit": weights.social_benefit,
        "weight_sustainability": weights.sustainability,
        "pass_mark": pass_mark,
        "red_top_n": red_top_n,
        "red_threshold": red_threshold,
        "black_bottom_n": black_bottom_n,
        "updated_by": by,
    }
    with transaction.atomic():
        scheme, created = EvaluationScheme.objects.update_or_create(
            area=area, year=year, defaults=values
        )
        audit.record(
            action="evaluation.scheme_set",
            actor=by,
            obj=scheme,
            area=area,
            data={
                "year": year,
                "created": created,
                **{k: str(v) for k, v in values.items() if k != "updated_by"},
            },
        )
    return scheme

"""Point rules: district officials and city administrators set them per area and year."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from evaluation.models import RULE_EVENTS, PointRule
from portal import audit
from portal.access import Action, can
from portal.errors import InvalidInput, PermissionDenied
from portal.models import Area, User

MAX_POINTS = Decimal("1000")
RULE_LEVELS = (Area.Level.CITY, Area.Level.DISTRICT, Area.Level.STREET, Area.Level.COMMUNITY)


def parse_decimal(value, *, field: str, allow_empty: bool = False) -> Decimal | None:
    """A finite decimal with at most two places from user input, or InvalidInput on ``field``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if allow_empty:
            return None
        raise InvalidInput(_("Enter a number."), field=field)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput(_("Enter a number."), field=field) from None
    if not number.is_finite() or number.as_tuple().exponent < -2:
        raise InvalidInput(_("Enter a number with at most two decimal places."), field=field)
    return number


def set_point_rule(
    *,
    area: Area,
    event: str,
    points,
    by: User,
    year: int | None = None,
    daily_cap=None,
    active: bool = True,
) -> PointRule:
    """Create or change the rule for ``event`` in ``area`` (and below), for ``year`` or all years.

    Points are 0 to 1000 (per hour for service hours); an empty daily cap means none. Audited.
    """
    if event not in RULE_EVENTS:
        raise InvalidInput(_("Choose an event that earns points."), field="event")
    if area.level not in RULE_LEVELS:
        raise InvalidInput(
            _("Rules are set for a city, district, street or community."), field="area"
        )
    if not can(by, Action.SETTING_CHANGE, area=area):
        raise PermissionDenied(_("You cannot change point rules of this area."))
    points = parse_decimal(points, field="points")
    if not Decimal("0") <= points <= MAX_POINTS:
        raise InvalidInput(
            _("Enter points from 0 to %(max)s.") % {"max": MAX_POINTS}, field="points"
        )
    daily_cap = parse_decimal(daily_cap, field="daily_cap", allow_empty=True)
    if daily_cap is not None and not Decimal("0") < daily_cap <= MAX_POINTS * 24:
        raise InvalidInput(
            _("A daily cap is more than 0 and at most %(max)s, or empty for none.")
            % {"max": MAX_POINTS * 24},
            field="daily_cap",
        )
    if year is not None and not 2000 <= year <= 2100:
        raise InvalidInput(_("Enter a year such as 2026, or leave it empty."), field="year")
    with transaction.atomic():
        before = (
            PointRule.objects.select_for_update()
            .filter(area=area, event=event, year=year)
            .values("points", "daily_cap", "active")
            .first()
        )
        rule, _created = PointRule.objects.update_or_create(
            area=area,
            event=event,
            year=year,
            defaults={
                "points": points,
                "daily_cap": daily_cap,
                "active": active,
                "updated_by": by,
            },
        )
        audit.record(
            action="point_rule.changed",
            actor=by,
            obj=rule,
            area=area,
            data={
                "event": event,
                "year": year,
                "points": str(points),
                "daily_cap": None if daily_cap is None else str(daily_cap),
                "active": active,
                "before": before,
            },
        )
    return rule

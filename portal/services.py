"""Platform services: area settings."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import audit
from portal.access import Action, can
from portal.errors import InvalidInput, PermissionDenied
from portal.models import Area, Setting, User


@dataclass(frozen=True)
class SettingSpec:
    label: object
    kind: type
    minimum: Any
    maximum: Any


# What each product default means and which values are sensible; the form and the service
# validate against this.
SETTING_SPECS: dict[str, SettingSpec] = {
    "need.response_hours": SettingSpec(
        gettext_lazy("Response clock (hours to accept a need)"), int, 1, 720
    ),
    "need.warning_hours": SettingSpec(
        gettext_lazy("Warn this many hours before the response clock runs out"), int, 1, 72
    ),
    "checkin.window_before_minutes": SettingSpec(
        gettext_lazy("Check-in opens this many minutes before an activity starts"), int, 0, 240
    ),
    "checkin.daily_cap_hours": SettingSpec(
        gettext_lazy("Most service hours a member can record in one day"), int, 1, 24
    ),
    "checkin.geofence_radius_m": SettingSpec(
        gettext_lazy("Default geofence radius in metres"), int, 50, 10000
    ),
    "checkin.token_step_seconds": SettingSpec(
        gettext_lazy("Seconds before the check-in QR code changes"), int, 10, 300
    ),
    "need.street_response_hours": SettingSpec(
        gettext_lazy("Hours the street office has before a need goes to the district"), int, 1, 720
    ),
    "need.district_response_hours": SettingSpec(
        gettext_lazy("Hours the district has to act on an escalated need"), int, 1, 720
    ),
    "matching.weight_category": SettingSpec(
        gettext_lazy("Matching weight: category fit"), int, 0, 10
    ),
    "matching.weight_distance": SettingSpec(gettext_lazy("Matching weight: distance"), int, 0, 10),
    "matching.weight_availability": SettingSpec(
        gettext_lazy("Matching weight: available at the right times"), int, 0, 10
    ),
    "matching.weight_provider": SettingSpec(
        gettext_lazy("Matching weight: provider's past services and ratings"), int, 0, 10
    ),
    "matching.weight_urgency": SettingSpec(gettext_lazy("Matching weight: urgency"), int, 0, 10),
    "matching.weight_waiting": SettingSpec(
        gettext_lazy("Matching weight: time the need has waited"), int, 0, 10
    ),
    "matching.weight_special_group": SettingSpec(
        gettext_lazy("Matching weight: special groups first"), int, 0, 10
    ),
    "matching.max_candidates": SettingSpec(
        gettext_lazy("Matching: resources considered per need"), int, 1, 100
    ),
    "project.amber_lag": SettingSpec(
        gettext_lazy("Task lag that turns a task amber (share of its duration)"),
        Decimal,
        Decimal("0.01"),
        Decimal("0.50"),
    ),
    **{
        f"kpi.target.{code}": SettingSpec(label, Decimal, Decimal("0"), Decimal("100"))
        for code, label in [
            ("need_response_rate", gettext_lazy("KPI target: need response rate (%)")),
            ("closed_loop_rate", gettext_lazy("KPI target: closed-loop rate (%)")),
            ("resident_satisfaction", gettext_lazy("KPI target: resident satisfaction (%)")),
            ("member_enrollment_rate", gettext_lazy("KPI target: member enrollment rate (%)")),
            ("member_participation", gettext_lazy("KPI target: member participation (%)")),
            ("unit_docking_rate", gettext_lazy("KPI target: unit docking rate (%)")),
            ("resource_utilisation", gettext_lazy("KPI target: resource utilisation (%)")),
            ("matching_coverage", gettext_lazy("KPI target: matching coverage (%)")),
            ("matching_accuracy", gettext_lazy("KPI target: matching accuracy (%)")),
            ("special_group_coverage", gettext_lazy("KPI target: special-group coverage (%)")),
            (
                "dispute_mediation_success",
                gettext_lazy("KPI target: dispute mediation success (%)"),
            ),
        ]
    },
    "kpi.target.need_response_time": SettingSpec(
        gettext_lazy("KPI target: median need response time (hours)"),
        Decimal,
        Decimal("1"),
        Decimal("720"),
    ),
}


def parse_setting_value(key: str, raw: Any) -> Any:
    """Validate a raw value for ``key``; returns the JSON-storable value or raises InvalidInput."""
    spec = SETTING_SPECS.get(key)
    if spec is None:
        raise InvalidInput(_("Unknown setting."), field="key")
    try:
        value = spec.kind(str(raw).strip())
    except (ValueError, InvalidOperation):
        raise InvalidInput(_("Enter a number."), field="value") from None
    if not spec.minimum <= value <= spec.maximum:
        raise InvalidInput(
            _("Enter a value from %(min)s to %(max)s.")
            % {"min": spec.minimum, "max": spec.maximum},
            field="value",
        )
    return str(value) if isinstance(value, Decimal) else value


def get_setting(key: str, *, area: Area, year: int | None = None) -> Any:
    """The value of ``key`` for ``area``: the nearest override up the tree, else the default.

    A year-specific override beats an all-years override of the same area.
    """
    if key not in settings.BAODAO_DEFAULTS:
        raise KeyError(key)
    overrides = Setting.objects.filter(key=key, area__path__in=area.ancestor_paths()).values_list(
        "area__level", "year", "value"
    )
    best = None
    for level, setting_year, value in overrides:
        if setting_year is not None and setting_year != year:
            continue
        rank = (level, setting_year is not None)
        if best is None or rank > best[0]:
            best = (rank, value)
    return best[1] if best else settings.BAODAO_DEFAULTS[key]


def set_setting(*, key: str, area: Area, value: Any, by: User, year: int | None = None) -> Setting:
    """Override a product default for an area (and its subtree), audited."""
    value = parse_setting_value(key, value)
    if not can(by, Action.SETTING_CHANGE, area=area):
        raise PermissionDenied()
    if year is not None and not 2000 <= year <= 2100:
        raise InvalidInput(_("Enter a year such as 2026, or leave it empty."), field="year")
    with transaction.atomic():
        setting, _created = Setting.objects.update_or_create(
            key=key, area=area, year=year, defaults={"value": value, "updated_by": by}
        )
        audit.record(
            action="setting.changed",
            actor=by,
            obj=setting,
            area=area,
            data={"key": key, "year": year, "value": value},
        )
    return setting

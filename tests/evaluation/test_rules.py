"""Which rule applies, and how officials set rules."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluation.models import PointEvent, PointRule
from evaluation.rules import day_share
from evaluation.selectors import effective_rule, effective_rules
from evaluation.services.rules import set_point_rule
from portal.errors import InvalidInput, PermissionDenied
from portal.models import AuditEvent, Role
from tests.factories import user_with_role

HOUR = PointEvent.SERVICE_HOUR


def rule(area, points, *, year=None, event=HOUR, **kwargs):
    return PointRule.objects.create(area=area, event=event, points=points, year=year, **kwargs)


@pytest.fixture
def official(tree):
    return user_with_role(Role.DISTRICT_OFFICIAL, tree["district"])


def test_without_rules_the_domain_defaults_apply(tree):
    rules = {r.event: r.points for r in effective_rules(area=tree["a"], year=2026)}

    assert rules == {
        "service_hour": Decimal("1"),
        "enrollment_confirmed": Decimal("5"),
        "project_owner_completed": Decimal("10"),
        "rating_five_star": Decimal("1"),
    }


def test_the_nearest_area_up_the_tree_wins(tree):
    rule(tree["city"], 2)
    rule(tree["street1"], 3)

    assert effective_rule(HOUR, area=tree["a"], year=2026).points == Decimal("3")
    assert effective_rule(HOUR, area=tree["b"], year=2026).points == Decimal("2")


def test_a_year_rule_beats_an_all_years_rule_of_the_same_area(tree):
    rule(tree["street1"], 3)
    rule(tree["street1"], 4, year=2026)

    assert effective_rule(HOUR, area=tree["a"], year=2026).points == Decimal("4")
    assert effective_rule(HOUR, area=tree["a"], year=2027).points == Decimal("3")


def test_a_nearer_all_years_rule_beats_a_farther_year_rule(tree):
    rule(tree["city"], 4, year=2026)
    rule(tree["a"], 3)

    assert effective_rule(HOUR, area=tree["a"], year=2026).points == Decimal("3")


def test_an_inactive_rule_is_ignored(tree):
    rule(tree["city"], 2)
    rule(tree["a"], 9, active=False)

    assert effective_rule(HOUR, area=tree["a"], year=2026).points == Decimal("2")


def test_a_rule_for_another_event_does_not_apply(tree):
    rule(tree["a"], 9, event=PointEvent.RATING_FIVE_STAR)

    assert effective_rule(HOUR, area=tree["a"], year=2026).is_default


@pytest.mark.parametrize(
    ("before", "earned", "cap", "booked"),
    [
        ("0", "5", None, "5"),
        ("6", "4", "8", "2"),
        ("8", "3", "8", "0"),
        ("10", "-2", "8", "0"),
        ("9", "-2", "8", "-1"),
        ("3", "-3", None, "-3"),
        ("3", "-5", None, "-3"),
    ],
)
def test_a_days_share_respects_the_cap_and_the_zero_floor(before, earned, cap, booked):
    share = day_share(
        earned_before=Decimal(before),
        earned=Decimal(earned),
        cap=Decimal(cap) if cap else None,
    )

    assert share == Decimal(booked)


def test_an_official_sets_a_rule_and_it_is_audited(tree, official):
    saved = set_point_rule(
        area=tree["district"], event=HOUR, points="1.5", daily_cap="8", year=2026, by=official
    )

    assert (saved.points, saved.daily_cap, saved.year) == (Decimal("1.5"), Decimal("8"), 2026)
    event = AuditEvent.objects.get(action="point_rule.changed")
    assert event.data["points"] == "1.5" and event.actor == official


def test_setting_the_same_rule_again_changes_it_in_place(tree, official):
    set_point_rule(area=tree["district"], event=HOUR, points="1", by=official)
    set_point_rule(area=tree["district"], event=HOUR, points="2", by=official)

    assert PointRule.objects.get().points == Decimal("2")


def test_a_rule_outside_the_officials_district_is_refused(tree, official):
    other = user_with_role(Role.DISTRICT_OFFICIAL, tree["street2"])

    with pytest.raises(PermissionDenied):
        set_point_rule(area=tree["street1"], event=HOUR, points="2", by=other)


def test_a_community_worker_cannot_set_rules(tree, worker):
    with pytest.raises(PermissionDenied):
        set_point_rule(area=tree["a"], event=HOUR, points="2", by=worker)


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("points", {"points": "-1"}),
        ("points", {"points": "abc"}),
        ("points", {"points": "1.234"}),
        ("points", {"points": "1001"}),
        ("daily_cap", {"points": "1", "daily_cap": "0"}),
        ("event", {"points": "1", "event": PointEvent.REDEMPTION}),
        ("year", {"points": "1", "year": 1999}),
    ],
)
def test_invalid_rules_are_refused_with_the_field_named(tree, official, field, values):
    values = {"event": HOUR} | values

    with pytest.raises(InvalidInput) as error:
        set_point_rule(area=tree["district"], by=official, **values)

    assert error.value.field == field
    assert not PointRule.objects.exists()


def test_rules_are_not_set_on_grids(tree):
    admin = user_with_role(Role.CITY_ADMIN, tree["city"])

    with pytest.raises(InvalidInput):
        set_point_rule(area=tree["grid_a"], event=HOUR, points="2", by=admin)

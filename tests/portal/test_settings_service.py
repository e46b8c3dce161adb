"""Area settings: defaults, overrides down the tree, per year; and who may change them."""

import pytest
from django.conf import settings

from portal.errors import InvalidInput, PermissionDenied
from portal.models import AuditEvent, Role, Setting
from portal.services import get_setting, set_setting
from tests.factories import user_with_role

KEY = "need.response_hours"


def _override(area, value, year=None):
    return Setting.objects.create(key=KEY, area=area, value=value, year=year)


def test_without_overrides_the_product_default_applies(tree):
    assert get_setting(KEY, area=tree["a"]) == settings.BAODAO_DEFAULTS[KEY] == 24


def test_an_unknown_key_is_an_error(tree):
    with pytest.raises(KeyError):
        get_setting("no.such.setting", area=tree["a"])


def test_a_community_override_applies_to_that_community(tree):
    _override(tree["a"], 12)

    assert get_setting(KEY, area=tree["a"]) == 12


def test_a_community_override_applies_to_its_grids(tree):
    _override(tree["a"], 12)

    assert get_setting(KEY, area=tree["grid_a"]) == 12


def test_a_community_override_does_not_touch_other_communities(tree):
    _override(tree["a"], 12)

    assert get_setting(KEY, area=tree["c"]) == 24


def test_a_street_override_is_inherited_by_its_communities(tree):
    _override(tree["street1"], 8)

    assert get_setting(KEY, area=tree["a"]) == 8
    assert get_setting(KEY, area=tree["c"]) == 8
    assert get_setting(KEY, area=tree["b"]) == 24


def test_the_nearest_override_up_the_tree_wins(tree):
    _override(tree["city"], 48)
    _override(tree["street1"], 8)
    _override(tree["a"], 12)

    assert get_setting(KEY, area=tree["grid_a"]) == 12
    assert get_setting(KEY, area=tree["c"]) == 8
    assert get_setting(KEY, area=tree["b"]) == 48


def test_a_year_specific_override_beats_the_all_years_value_of_the_same_area(tree):
    _override(tree["a"], 12)
    _override(tree["a"], 6, year=2025)

    assert get_setting(KEY, area=tree["a"], year=2025) == 6


def test_a_year_specific_override_applies_only_to_its_year(tree):
    _override(tree["a"], 12)
    _override(tree["a"], 6, year=2025)

    assert get_setting(KEY, area=tree["a"], year=2026) == 12
    assert get_setting(KEY, area=tree["a"]) == 12


def test_a_nearer_all_years_override_beats_a_farther_year_specific_one(tree):
    _override(tree["street1"], 6, year=2025)
    _override(tree["a"], 12)

    assert get_setting(KEY, area=tree["a"], year=2025) == 12


def test_get_setting_takes_one_query(tree, django_assert_num_queries):
    _override(tree["street1"], 8)

    with django_assert_num_queries(1):
        get_setting(KEY, area=tree["grid_a"], year=2025)


def test_a_district_official_may_override_a_setting_for_the_district(tree):
    official = user_with_role(Role.DISTRICT_OFFICIAL, tree["district"])

    set_setting(key=KEY, area=tree["district"], value=12, by=official)

    assert get_setting(KEY, area=tree["a"]) == 12


def test_changing_a_setting_is_audited(tree):
    official = user_with_role(Role.DISTRICT_OFFICIAL, tree["district"])

    setting = set_setting(key=KEY, area=tree["street1"], value=12, by=official, year=2025)

    event = AuditEvent.objects.get(action="setting.changed")
    assert event.actor == official
    assert event.object_id == str(setting.pk)
    assert event.data == {"key": KEY, "year": 2025, "value": 12}


def test_setting_a_value_twice_updates_the_same_override(tree):
    official = user_with_role(Role.DISTRICT_OFFICIAL, tree["district"])

    set_setting(key=KEY, area=tree["a"], value=12, by=official)
    set_setting(key=KEY, area=tree["a"], value=10, by=official)

    assert Setting.objects.get(key=KEY, area=tree["a"]).value == 10


def test_a_community_worker_cannot_change_settings(tree, worker):
    with pytest.raises(PermissionDenied):
        set_setting(key=KEY, area=tree["a"], value=12, by=worker)
    assert not Setting.objects.exists()


def test_a_district_official_cannot_change_settings_above_their_district(tree):
    official = user_with_role(Role.DISTRICT_OFFICIAL, tree["district"])

    with pytest.raises(PermissionDenied):
        set_setting(key=KEY, area=tree["city"], value=12, by=official)


def test_an_unknown_setting_cannot_be_set(tree):
    official = user_with_role(Role.DISTRICT_OFFICIAL, tree["district"])

    with pytest.raises(InvalidInput) as excinfo:
        set_setting(key="no.such.setting", area=tree["a"], value=1, by=official)
    assert excinfo.value.field == "key"

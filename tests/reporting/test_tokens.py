"""Rotating signed QR tokens and the geofence distance."""

from datetime import UTC, datetime, timedelta

import pytest

from reporting import geo, tokens
from tests.reporting.test_checkin_services import make_activity

NOW = datetime(2026, 6, 1, 9, 0, 10, tzinfo=UTC)


@pytest.fixture
def activity(tree):
    return make_activity(tree["a"], starts_at=NOW)


def test_fresh_token_is_valid(activity):
    assert tokens.check_token(activity, tokens.token_for(activity, NOW), NOW).valid


def test_token_of_the_previous_step_is_accepted(activity):
    token = tokens.token_for(activity, NOW)
    assert tokens.check_token(activity, token, NOW + timedelta(seconds=30)).valid


def test_token_two_steps_old_is_rejected_but_genuine(activity):
    token = tokens.token_for(activity, NOW)
    result = tokens.check_token(activity, token, NOW + timedelta(seconds=60))
    assert result.genuine and not result.fresh


def test_token_from_the_future_is_not_fresh(activity):
    token = tokens.token_for(activity, NOW + timedelta(seconds=60))
    assert not tokens.check_token(activity, token, NOW).fresh


def test_forged_token_is_rejected(activity):
    step = tokens.step_at(activity, NOW)
    assert not tokens.check_token(activity, f"{step:x}.AAAAAAAAAAAAAAAA", NOW).genuine
    assert not tokens.check_token(activity, "garbage", NOW).genuine
    assert not tokens.check_token(activity, "", NOW).genuine


def test_token_of_another_activity_is_rejected(tree, activity):
    other = make_activity(tree["a"], starts_at=NOW)
    assert not tokens.check_token(other, tokens.token_for(activity, NOW), NOW).genuine


def test_step_follows_the_area_setting(activity, worker):
    from portal.models import Setting

    Setting.objects.create(key="checkin.token_step_seconds", area=activity.community, value=60)
    token = tokens.token_for(activity, NOW)
    assert tokens.check_token(activity, token, NOW + timedelta(seconds=90)).valid


def test_token_is_compact_and_url_safe(activity):
    token = tokens.token_for(activity, NOW)
    assert len(token) <= 26
    assert all(ch.isalnum() or ch in "-_." for ch in token)
    url = tokens.checkin_url(activity, NOW)
    assert url == f"/c/{activity.pk}/{token}/"


def test_haversine_distance():
    # One thousandth of a degree of latitude is about 111 m.
    assert geo.haversine_m(31.2304, 121.4737, 31.2314, 121.4737) == pytest.approx(111.2, abs=0.5)
    assert geo.haversine_m(31.2304, 121.4737, 31.2304, 121.4737) == 0

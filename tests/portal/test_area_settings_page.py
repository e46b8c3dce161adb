"""The area settings page: officials override the response clock and friends for their areas."""

import pytest
from django.urls import reverse

from portal.models import AuditEvent, Role, Setting
from portal.services import get_setting
from tests.factories import user_with_role

URL = reverse("area_settings")


@pytest.fixture
def official(tree):
    return user_with_role(Role.DISTRICT_OFFICIAL, tree["district"], username="official")


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def test_settings_page_requires_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response.url


def test_a_community_worker_cannot_change_settings(client, worker):
    client.force_login(worker)
    assert client.get(URL).status_code == 403


def test_an_official_sees_the_defaults_and_no_overrides(client, official):
    client.force_login(official)
    response = client.get(URL)
    assert response.status_code == 200
    assert b"Response clock" in response.content
    assert b"No overrides" in response.content


def test_an_official_shortens_the_response_clock_for_a_street(client, tree, official):
    client.force_login(official)
    response = client.post(
        URL, {"area": tree["street1"].pk, "key": "need.response_hours", "value": "12", "year": ""}
    )
    assert response.status_code == 302
    assert get_setting("need.response_hours", area=tree["a"]) == 12
    assert get_setting("need.response_hours", area=tree["b"]) == 24
    assert AuditEvent.objects.filter(action="setting.changed").count() == 1
    listing = client.get(URL)
    assert "Street 1" in listing.content.decode()


def test_an_out_of_range_value_is_refused_with_a_message(client, tree, official):
    client.force_login(official)
    response = client.post(URL, {"area": tree["a"].pk, "key": "need.response_hours", "value": "0"})
    assert response.status_code == 400
    assert b"Enter a value from 1 to 720." in response.content
    assert not Setting.objects.exists()


def test_a_value_that_is_not_a_number_is_refused(client, tree, official):
    client.force_login(official)
    response = client.post(URL, {"area": tree["a"].pk, "key": "project.amber_lag", "value": "lots"})
    assert response.status_code == 400
    assert b"Enter a number." in response.content
    assert not Setting.objects.exists()


def test_an_area_outside_reach_cannot_be_chosen(client, tree, official):
    other = user_with_role(Role.DISTRICT_OFFICIAL, tree["street2"], username="narrow")
    client.force_login(other)
    response = client.post(URL, {"area": tree["a"].pk, "key": "need.response_hours", "value": "8"})
    assert response.status_code == 400
    assert not Setting.objects.exists()


def test_overrides_list_only_areas_in_reach(client, tree, official):
    Setting.objects.create(key="need.response_hours", area=tree["a"], value=12)
    Setting.objects.create(key="need.response_hours", area=tree["b"], value=10)
    narrow = user_with_role(Role.DISTRICT_OFFICIAL, tree["street2"], username="narrow")
    client.force_login(narrow)
    content = client.get(URL).content.decode()
    assert "Community B" in content
    assert "Community A" not in content.split("Set a value")[0]

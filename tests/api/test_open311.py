import uuid

import pytest
from rest_framework.test import APIClient

from portal.models import PartnerScope
from resources.models import Channel, Need
from tests.factories import NeedFactory, category

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"


def _report(tree, **changes):
    category("elderly_care")
    return {
        "service_code": "elderly_care",
        "description": "楼道灯坏了，老人夜里看不见。",
        "first_name": "建国",
        "last_name": "王",
        "phone": "13812345678",
        "attribute[community]": tree["a"].code,
        **changes,
    }


def test_services_are_the_active_need_categories(tree):
    category("elderly_care")

    services = APIClient().get(f"{BASE}/services.json").json()

    assert "elderly_care" in {s["service_code"] for s in services}
    assert {"service_name", "metadata", "type", "group"} <= set(services[0])


def test_a_service_definition_names_the_community_attribute(tree):
    category("elderly_care")

    definition = APIClient().get(f"{BASE}/services/elderly_care.json").json()

    assert [a["code"] for a in definition["attributes"]] == ["community", "grid"]


def test_a_resident_submits_a_request_without_a_key_through_the_online_channel(tree):
    response = APIClient().post(f"{BASE}/requests.json", _report(tree))

    assert response.status_code == 201
    (row,) = response.json()
    need = Need.objects.get(tracking_number=row["service_request_id"])
    assert need.channel == Channel.ONLINE
    assert need.created_by is None
    assert need.requester_name == "王建国"


def test_a_partner_submits_with_its_api_key_and_channel(tree, make_partner):
    client, key = make_partner("a", channel="visit")

    response = APIClient().post(f"{BASE}/requests.json", {**_report(tree), "api_key": key})

    need = Need.objects.get(tracking_number=response.json()[0]["service_request_id"])
    assert need.channel == "visit"
    assert need.created_by == client.user


def test_a_partner_cannot_submit_outside_its_areas(tree, make_partner):
    _client, key = make_partner("a")

    response = APIClient().post(
        f"{BASE}/requests.json",
        {**_report(tree, **{"attribute[community]": tree["b"].code}), "api_key": key},
    )

    assert response.status_code == 403
    assert response.json()[0]["code"] == 403
    assert not Need.objects.exists()


def test_a_nearest_community_is_found_from_lat_long(tree):
    tree["a"].latitude, tree["a"].longitude = 31.23, 121.47
    tree["a"].save()
    tree["b"].latitude, tree["b"].longitude = 31.30, 121.60
    tree["b"].save()
    report = _report(tree, lat="31.231", long="121.471")
    del report["attribute[community]"]

    response = APIClient().post(f"{BASE}/requests.json", report)

    assert (
        Need.objects.get(tracking_number=response.json()[0]["service_request_id"]).community
        == tree["a"]
    )


def test_a_request_without_a_phone_is_an_open311_error(tree):
    response = APIClient().post(f"{BASE}/requests.json", _report(tree, phone=""))

    assert response.status_code == 400
    (error,) = response.json()
    assert error["code"] == 400
    assert "requester_phone" in error["description"]


def test_an_unknown_service_code_is_an_open311_error(tree):
    response = APIClient().post(f"{BASE}/requests.json", _report(tree, service_code="nope"))

    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("service_code")


def test_listing_requests_needs_a_partner_key(tree):
    response = APIClient().get(f"{BASE}/requests.json")

    assert response.status_code == 401
    assert response.json()[0]["code"] == 401


def test_a_partner_lists_requests_of_its_areas_only(tree, make_partner):
    _client, key = make_partner("a")
    mine = NeedFactory(community=tree["a"])
    NeedFactory(community=tree["b"])

    rows = APIClient().get(f"{BASE}/requests.json", {"api_key": key}).json()

    assert [r["service_request_id"] for r in rows] == [mine.tracking_number]
    assert rows[0]["status"] == "open"
    assert rows[0]["address"] == ""


def test_listing_requests_needs_the_read_scope(tree, make_partner):
    _client, key = make_partner("a", scopes=[PartnerScope.NEEDS_WRITE])

    response = APIClient().get(f"{BASE}/requests.json", {"api_key": key})

    assert response.status_code == 403


def test_requests_are_filtered_by_status(tree, make_partner):
    _client, key = make_partner("a")
    NeedFactory(community=tree["a"])
    closed = NeedFactory(community=tree["a"], status="rejected", close_reason="重复")

    rows = APIClient().get(f"{BASE}/requests.json", {"api_key": key, "status": "closed"}).json()

    assert [r["service_request_id"] for r in rows] == [closed.tracking_number]


def test_anyone_tracks_a_request_by_id_and_phone_digits_but_sees_its_status_only(tree):
    need = NeedFactory(community=tree["a"])
    url = f"{BASE}/requests/{need.tracking_number}.json"

    (row,) = APIClient().get(url, {"phone_last4": need.requester_phone[-4:]}).json()

    assert row["status"] == "open"
    assert "description" not in row


def test_without_the_right_phone_digits_a_real_request_looks_unknown(tree):
    need = NeedFactory(community=tree["a"], requester_phone="13700001234")
    url = f"{BASE}/requests/{need.tracking_number}.json"

    wrong = APIClient().get(url, {"phone_last4": "9999"})
    missing = APIClient().get(url)
    unknown = APIClient().get(f"{BASE}/requests/BD9999999999.json", {"phone_last4": "1234"})

    assert wrong.status_code == missing.status_code == unknown.status_code == 404
    assert wrong.content == missing.content == unknown.content


def test_anonymous_lookups_share_the_tracking_pages_limit_per_number(tree, settings):
    settings.RATELIMIT_ENABLE = True
    settings.BAODAO_RATE_TRACK_NUMBER = "2/10m"
    # Counts of earlier runs in a shared cache (Redis in CI) must not count here.
    settings.RATELIMIT_CACHE_PREFIX = f"test-{uuid.uuid4().hex}:"
    need = NeedFactory(community=tree["a"], requester_phone="13700001234")
    url = f"{BASE}/requests/{need.tracking_number}.json"

    statuses = [
        APIClient(REMOTE_ADDR=f"10.0.0.{n}").get(url, {"phone_last4": "1234"}).status_code
        for n in range(1, 4)
    ]

    assert statuses == [200, 200, 429]


def test_a_partner_tracks_its_areas_request_in_full(tree, make_partner):
    _client, key = make_partner("a")
    need = NeedFactory(community=tree["a"])

    (row,) = (
        APIClient().get(f"{BASE}/requests/{need.tracking_number}.json", {"api_key": key}).json()
    )

    assert row["description"] == need.description


def test_an_unknown_request_is_404(tree):
    response = APIClient().get(f"{BASE}/requests/NOPE.json")

    assert response.status_code == 404
    assert response.json()[0]["code"] == 404


def test_anonymous_reports_share_the_need_forms_limit_per_phone(tree, settings):
    settings.RATELIMIT_ENABLE = True
    settings.BAODAO_RATE_NEED_FORM_PHONE = "2/h"
    settings.RATELIMIT_CACHE_PREFIX = f"test-{uuid.uuid4().hex}:"

    statuses = [
        APIClient(REMOTE_ADDR=f"10.0.1.{n}")
        .post(f"{BASE}/requests.json", _report(tree, phone="13812349876"))
        .status_code
        for n in range(1, 4)
    ]

    assert statuses == [201, 201, 429]
    assert Need.objects.filter(requester_phone="13812349876").count() == 2


def test_a_json_body_that_is_not_an_object_is_a_400(tree):
    response = APIClient().post(f"{BASE}/requests.json", [1, 2], format="json")

    assert response.status_code == 400
    assert response.json()[0]["code"] == 400

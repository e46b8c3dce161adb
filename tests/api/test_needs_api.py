from datetime import timedelta

import pytest
from django.utils import timezone

from portal.models import AuditEvent, PartnerScope
from resources.models import Need
from tests.api.conftest import api_for
from tests.factories import NeedFactory, category

pytestmark = pytest.mark.django_db

NEW_NEED = {
    "title": "送餐",
    "description": "独居老人需要午餐送餐。",
    "category": "elderly_care",
    "requester_name": "王建国",
    "requester_phone": "13812345678",
}


def _body(tree, **changes):
    category()
    return {**NEW_NEED, "community": tree["a"].code, **changes}


def test_a_partner_submits_a_need_in_its_area_through_the_service(tree, partner_a):
    client, api = partner_a

    response = api.post("/api/v1/needs/", _body(tree), format="json")

    assert response.status_code == 201, response.json()
    need = Need.objects.get(pk=response.json()["id"])
    assert need.created_by == client.user
    assert need.channel == client.channel
    assert AuditEvent.objects.filter(action="need.submitted", object_id=str(need.pk)).exists()


def test_a_submitted_need_is_answered_with_the_phone_masked(tree, api_a):
    response = api_a.post("/api/v1/needs/", _body(tree), format="json")

    assert response.json()["requester_phone"] == "138****5678"
    assert response.json()["requester_name"] == "王**"


def test_a_partner_cannot_submit_a_need_in_another_area(tree, api_a):
    response = api_a.post("/api/v1/needs/", _body(tree, community=tree["b"].code), format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Need.objects.exists()


def test_an_invalid_need_is_a_400_with_field_messages(tree, api_a):
    response = api_a.post(
        "/api/v1/needs/", _body(tree, requester_phone="123", category="nope"), format="json"
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert set(error["fields"]) == {"requester_phone", "category"}


def test_the_online_channel_is_refused_for_a_partner(tree, api_a):
    response = api_a.post("/api/v1/needs/", _body(tree, channel="online"), format="json")

    assert response.status_code == 400
    assert "channel" in response.json()["error"]["fields"]


def test_a_partner_accepts_a_need(tree, api_a):
    need = NeedFactory(community=tree["a"])

    response = api_a.post(
        f"/api/v1/needs/{need.pk}/transition/", {"action": "accept"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    need.refresh_from_db()
    assert need.status == Need.Status.ACCEPTED


def test_an_illegal_move_is_a_409_that_changes_nothing(tree, api_a):
    need = NeedFactory(community=tree["a"])

    response = api_a.post(
        f"/api/v1/needs/{need.pk}/transition/", {"action": "resolve", "reason": "x"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "illegal_transition"
    need.refresh_from_db()
    assert need.status == Need.Status.SUBMITTED


def test_a_step_that_needs_a_reason_names_the_field(tree, api_a):
    need = NeedFactory(community=tree["a"])

    response = api_a.post(
        f"/api/v1/needs/{need.pk}/transition/", {"action": "reject"}, format="json"
    )

    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]


def test_moving_another_areas_need_is_not_found(tree, api_a):
    need = NeedFactory(community=tree["b"])

    response = api_a.post(
        f"/api/v1/needs/{need.pk}/transition/", {"action": "accept"}, format="json"
    )

    assert response.status_code == 404
    need.refresh_from_db()
    assert need.status == Need.Status.SUBMITTED


def test_the_contact_endpoint_reveals_the_phone_never_the_address_and_logs(tree, api_a):
    need = NeedFactory(community=tree["a"], address="幸福路 3 号")

    response = api_a.get(f"/api/v1/needs/{need.pk}/contact/")

    assert response.status_code == 200
    assert response.json()["requester_phone"] == "13812345678"
    assert "幸福路" not in response.content.decode()
    assert AuditEvent.objects.filter(
        action="need.contact_revealed", object_id=str(need.pk)
    ).exists()


def test_the_contact_of_a_need_outside_the_partners_areas_is_not_found(tree, api_a):
    need = NeedFactory(community=tree["b"])

    response = api_a.get(f"/api/v1/needs/{need.pk}/contact/")

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="need.contact_revealed").exists()


def test_the_contact_endpoint_needs_the_contact_scope(tree, make_partner):
    _client, key = make_partner("a", scopes=[PartnerScope.NEEDS_READ])
    need = NeedFactory(community=tree["a"])

    response = api_for(key).get(f"/api/v1/needs/{need.pk}/contact/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "missing_scope"
    assert not AuditEvent.objects.filter(action="need.contact_revealed").exists()


def test_needs_are_filtered_by_status(tree, api_a):
    NeedFactory(community=tree["a"])
    accepted = NeedFactory(
        community=tree["a"], status=Need.Status.ACCEPTED, accepted_at=timezone.now()
    )

    response = api_a.get("/api/v1/needs/", {"status": "accepted"})

    assert [row["id"] for row in response.json()["results"]] == [accepted.pk]


def test_needs_are_filtered_by_area_code_including_grids(tree, api_a):
    in_grid = NeedFactory(community=tree["a"], grid=tree["grid_a"])
    NeedFactory(community=tree["a"])

    response = api_a.get("/api/v1/needs/", {"area": tree["grid_a"].code})

    assert [row["id"] for row in response.json()["results"]] == [in_grid.pk]


def test_an_area_filter_outside_reach_finds_nothing(tree, api_a):
    NeedFactory(community=tree["b"])

    response = api_a.get("/api/v1/needs/", {"area": tree["b"].code})

    assert response.json()["results"] == []


def test_needs_changed_since_a_moment_are_listed(tree, api_a):
    old = NeedFactory(community=tree["a"])
    Need.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=3))
    recent = NeedFactory(community=tree["a"])
    since = (timezone.now() - timedelta(days=1)).isoformat()

    response = api_a.get("/api/v1/needs/", {"updated_since": since})

    assert [row["id"] for row in response.json()["results"]] == [recent.pk]


def test_an_invalid_filter_value_is_a_400(tree, api_a):
    response = api_a.get("/api/v1/needs/", {"status": "nonsense"})

    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]


def test_sparse_fields_return_only_what_was_asked(tree, api_a):
    NeedFactory(community=tree["a"])

    response = api_a.get("/api/v1/needs/", {"fields": "status,tracking_number"})

    assert set(response.json()["results"][0]) == {"id", "status", "tracking_number"}


def test_cursor_pages_walk_the_whole_list_once(tree, api_a):
    created = {NeedFactory(community=tree["a"]).pk for _ in range(5)}

    seen, url = [], "/api/v1/needs/?page_size=2"
    while url:
        page = api_a.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]

    assert sorted(seen) == sorted(created)


def test_needs_can_be_ordered_by_urgency(tree, api_a):
    low = NeedFactory(community=tree["a"], urgency=1)
    high = NeedFactory(community=tree["a"], urgency=4)

    response = api_a.get("/api/v1/needs/", {"ordering": "-urgency"})

    assert [row["id"] for row in response.json()["results"]] == [high.pk, low.pk]


def test_a_nul_byte_in_the_community_code_is_an_unknown_code(tree, api_a):
    response = api_a.post(
        "/api/v1/needs/",
        {
            "title": "助餐",
            "description": "送餐上门",
            "category": "elderly_care",
            "community": "\x00",
            "requester_name": "王建国",
            "requester_phone": "13812345678",
        },
        format="json",
    )

    assert response.status_code == 400
    assert "community" in response.json()["error"]["fields"]

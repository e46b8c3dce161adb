import pytest

from portal.models import AuditEvent, PartnerScope
from resources.models import Resource
from tests.api.conftest import api_for
from tests.factories import ResourceFactory, category

pytestmark = pytest.mark.django_db


def _body(tree, **changes):
    category("elderly_care")
    return {
        "name": "医院志愿者服务队",
        "provider_type": "unit",
        "provider_name": "区中心医院",
        "kind": "volunteer_team",
        "categories": ["elderly_care"],
        "capacity": 3,
        "area": tree["a"].code,
        "contact_phone": "13900002222",
        "value_amount": "1200.50",
        **changes,
    }


def _create(api, tree, **changes):
    return api.post("/api/v1/resources/", _body(tree, **changes), format="json")


def test_a_partner_adds_a_resource_it_then_owns(tree, partner_a):
    client, api = partner_a

    response = _create(api, tree)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["own"] is True
    assert body["contact_phone"] == "139****2222"
    assert body["value_amount"] == "1200.50"
    assert Resource.objects.get(pk=body["id"]).created_by == client.user
    assert AuditEvent.objects.filter(action="resource.created").exists()


def test_a_partner_changes_its_own_resource(tree, api_a):
    created = _create(api_a, tree).json()

    response = api_a.patch(f"/api/v1/resources/{created['id']}/", {"capacity": 7}, format="json")

    assert response.status_code == 200
    assert response.json()["capacity"] == 7


def test_a_partner_cannot_change_a_resource_it_did_not_create(tree, api_a):
    theirs = ResourceFactory(area=tree["a"])

    response = api_a.patch(f"/api/v1/resources/{theirs.pk}/", {"capacity": 7}, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_owner"
    theirs.refresh_from_db()
    assert theirs.capacity == 2


def test_another_areas_resource_cannot_be_changed_and_is_not_found(tree, api_a):
    theirs = ResourceFactory(area=tree["b"])

    response = api_a.patch(f"/api/v1/resources/{theirs.pk}/", {"capacity": 7}, format="json")

    assert response.status_code == 404


def test_a_resource_cannot_be_added_in_another_area(tree, api_a):
    response = _create(api_a, tree, area=tree["b"].code)

    assert response.status_code == 403
    assert not Resource.objects.exists()


def test_deleting_a_resource_retires_it(tree, api_a):
    created = _create(api_a, tree).json()

    response = api_a.delete(f"/api/v1/resources/{created['id']}/")

    assert response.status_code == 204
    assert Resource.objects.get(pk=created["id"]).status == Resource.Status.RETIRED


def test_writing_resources_needs_the_write_scope(tree, make_partner):
    _client, key = make_partner("a", scopes=[PartnerScope.RESOURCES_READ])

    response = _create(api_for(key), tree)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "missing_scope"


def test_own_filter_lists_only_the_partners_resources(tree, api_a):
    ResourceFactory(area=tree["a"])
    mine = _create(api_a, tree).json()

    response = api_a.get("/api/v1/resources/", {"own": "true"})

    assert [row["id"] for row in response.json()["results"]] == [mine["id"]]


def test_resources_are_filtered_by_category_once_each(tree, api_a):
    two = ResourceFactory(area=tree["a"], categories=[category("a1"), category("a2")])
    ResourceFactory(area=tree["a"], categories=[category("b1")])

    response = api_a.get("/api/v1/resources/", {"category": "a2"})

    assert [row["id"] for row in response.json()["results"]] == [two.pk]


def test_a_bad_capacity_names_the_field(tree, api_a):
    response = _create(api_a, tree, capacity=0)

    assert response.status_code == 400
    assert "capacity" in response.json()["error"]["fields"]


def test_a_nul_byte_in_a_code_is_an_unknown_code_not_a_server_error(tree, api_a):
    response = api_a.post(
        "/api/v1/resources/",
        {
            "name": "活动室",
            "provider_type": "unit",
            "provider_name": "图书馆",
            "kind": "venue",
            "categories": ["elderly_care"],
            "area": "\x00",
        },
        format="json",
    )

    assert response.status_code == 400
    assert "area" in response.json()["error"]["fields"]

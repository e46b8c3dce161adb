"""Every area-scoped endpoint, partner of community A against community B's records: lists and
details show A's only; a missing scope is 403, a revoked key 401; list queries are bounded."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from portal.api_clients import revoke_key, rotate_key
from portal.models import PartnerScope
from resources.models import NeedCategory
from tests.api import records
from tests.api.conftest import ALL_SCOPES, api_for

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Endpoint:
    path: str
    scope: str | None
    make: object  # (area, client) -> record
    max_queries: int = 8

    def __str__(self):
        return self.path


ENDPOINTS = [
    Endpoint("needs", PartnerScope.NEEDS_READ, records.need),
    Endpoint("resources", PartnerScope.RESOURCES_READ, records.resource),
    Endpoint("projects", PartnerScope.PROJECTS_READ, records.project),
    Endpoint("matches", PartnerScope.MATCHES_READ, records.match),
    Endpoint("activities", PartnerScope.ACTIVITIES_READ, records.activity),
    Endpoint("check-ins", PartnerScope.SERVICE_READ, records.checkin),
    Endpoint("service-records", PartnerScope.SERVICE_READ, records.service_record),
    Endpoint("enrollments", PartnerScope.ENROLLMENT_READ, records.enrollment),
]
endpoints = pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
SCOPED = [e for e in ENDPOINTS if e.scope]


@pytest.fixture
def world(tree, make_partner):
    client, key = make_partner("a")
    return tree, client, api_for(key)


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@endpoints
def test_a_partner_lists_its_areas_records_and_never_another_areas(world, endpoint):
    tree, client, api = world
    mine = endpoint.make(tree["a"], client)
    theirs = endpoint.make(tree["b"], client)

    ids = _ids(api.get(f"/api/v1/{endpoint.path}/"))

    assert mine.pk in ids
    assert theirs.pk not in ids


@endpoints
def test_a_filter_naming_another_area_reveals_nothing(world, endpoint):
    tree, client, api = world
    endpoint.make(tree["b"], client)

    assert _ids(api.get(f"/api/v1/{endpoint.path}/", {"area": tree["b"].code})) == set()


@endpoints
def test_another_areas_record_is_not_found(world, endpoint):
    tree, client, api = world
    mine = endpoint.make(tree["a"], client)
    theirs = endpoint.make(tree["b"], client)

    assert api.get(f"/api/v1/{endpoint.path}/{mine.pk}/").status_code == 200
    response = api.get(f"/api/v1/{endpoint.path}/{theirs.pk}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@endpoints
def test_a_partner_of_a_street_sees_every_community_of_it_only(tree, make_partner, endpoint):
    client, key = make_partner("street1")
    in_a = endpoint.make(tree["a"], client)
    in_c = endpoint.make(tree["c"], client)
    in_b = endpoint.make(tree["b"], client)

    ids = _ids(api_for(key).get(f"/api/v1/{endpoint.path}/"))

    assert {in_a.pk, in_c.pk} <= ids
    assert in_b.pk not in ids


@pytest.mark.parametrize("endpoint", SCOPED, ids=str)
def test_a_key_without_the_scope_is_refused(world, make_partner, endpoint):
    tree, client, _api = world
    mine = endpoint.make(tree["a"], client)
    _other, key = make_partner("a", scopes=[s for s in ALL_SCOPES if s != endpoint.scope])
    api = api_for(key)

    for url in (f"/api/v1/{endpoint.path}/", f"/api/v1/{endpoint.path}/{mine.pk}/"):
        response = api.get(url)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "missing_scope"


@endpoints
def test_a_revoked_key_is_refused(tree, make_partner, endpoint):
    client, key = make_partner("a")
    revoke_key(key=client.keys.get(), by=None)

    response = api_for(key).get(f"/api/v1/{endpoint.path}/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert response["WWW-Authenticate"].startswith("Bearer")


@endpoints
def test_a_rotated_key_is_refused_and_the_new_one_works(tree, make_partner, endpoint):
    client, old_key = make_partner("a")
    new_key = rotate_key(client=client, by=None).key

    assert api_for(old_key).get(f"/api/v1/{endpoint.path}/").status_code == 401
    assert api_for(new_key).get(f"/api/v1/{endpoint.path}/").status_code == 200


@endpoints
def test_a_list_costs_the_same_queries_for_one_record_or_many(
    world, endpoint, django_assert_max_num_queries
):
    tree, client, api = world
    for _ in range(6):
        endpoint.make(tree["a"], client)

    with django_assert_max_num_queries(endpoint.max_queries):
        response = api.get(f"/api/v1/{endpoint.path}/")

    assert len(response.json()["results"]) == 6


def test_the_area_tree_shows_the_partners_areas_and_below(world):
    tree, _client, api = world

    codes = {row["code"] for row in api.get("/api/v1/areas/").json()["results"]}

    assert codes == {tree["a"].code, tree["grid_a"].code}


def test_the_area_list_costs_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    _tree, _client, api = world

    with django_assert_max_num_queries(6):
        assert api.get("/api/v1/areas/").status_code == 200


def test_another_area_is_not_found_in_the_tree(world):
    tree, _client, api = world

    assert api.get(f"/api/v1/areas/{tree['b'].pk}/").status_code == 404


def test_need_categories_are_the_same_for_every_partner(
    tree, make_partner, django_assert_max_num_queries
):
    _client_a, key_a = make_partner("a")
    _client_b, key_b = make_partner("b")
    expected = set(NeedCategory.objects.values_list("code", flat=True))

    with django_assert_max_num_queries(6):
        seen_by_a = api_for(key_a).get("/api/v1/need-categories/").json()
    seen_by_b = api_for(key_b).get("/api/v1/need-categories/").json()

    assert {row["code"] for row in seen_by_a} == expected
    assert seen_by_a == seen_by_b


def test_project_tasks_are_listed_for_a_project_in_reach_only(world):
    tree, client, api = world
    mine = records.project(tree["a"], client)
    theirs = records.project(tree["b"], client)

    assert len(api.get(f"/api/v1/projects/{mine.pk}/tasks/").json()) == 1
    assert api.get(f"/api/v1/projects/{theirs.pk}/tasks/").status_code == 404


def test_without_a_key_the_api_answers_401(tree):
    response = api_for(None).get("/api/v1/needs/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_malformed_key_is_401(tree):
    response = api_for("bd_nothing.here").get("/api/v1/needs/")

    assert response.status_code == 401


def test_me_names_the_partner_its_scopes_and_areas(tree, make_partner):
    _client, key = make_partner("street1", scopes=[PartnerScope.NEEDS_READ])

    me = api_for(key).get("/api/v1/me/").json()

    assert me["scopes"] == ["needs:read"]
    assert [area["code"] for area in me["areas"]] == [tree["street1"].code]
    assert me["channel"] == "proxy"

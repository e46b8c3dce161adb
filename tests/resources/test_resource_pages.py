"""The resource list pages: list, detail, create and edit."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from portal.errors import InvalidInput
from portal.models import AuditEvent, Role
from resources.models import AvailabilitySlot, Resource
from resources.services import create_resource
from tests.factories import ResourceFactory, category, user_with_role

pytestmark = pytest.mark.django_db

LIST = reverse("resources:resource_list")
CREATE = reverse("resources:resource_create")


@pytest.fixture(autouse=True)
def english(client):
    # Assertions read the English msgids, whatever the default language.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def member(tree):
    return user_with_role(Role.MEMBER, tree["a"], username="member_a")


def detail_url(resource):
    return reverse("resources:resource_detail", args=[resource.pk])


def edit_url(resource):
    return reverse("resources:resource_edit", args=[resource.pk])


def form_data(area, **overrides):
    data = {
        "name": "Reading room",
        "description": "Quiet room, 20 seats.",
        "provider_type": Resource.ProviderType.UNIT,
        "provider_name": "District library",
        "kind": Resource.Kind.VENUE,
        "tier": Resource.Tier.BASE,
        "categories": [category("culture").pk],
        "capacity": "20",
        "availability": [AvailabilitySlot.WEEKDAY_MORNING, AvailabilitySlot.WEEKEND_MORNING],
        "area": area.pk,
        "contact_name": "Ms Li",
        "contact_phone": "13900002222",
        "value_amount": "",
        "valid_until": "",
    }
    data.update(overrides)
    return data


# --- list ---------------------------------------------------------------------------------


def test_list_shows_only_resources_in_reach(client, tree, worker):
    ResourceFactory(area=tree["a"], name="Room in A")
    ResourceFactory(area=tree["grid_a"], name="Room in grid A1")
    ResourceFactory(area=tree["b"], name="Room in B")
    client.force_login(worker)
    response = client.get(LIST)
    assert response.status_code == 200
    names = {r.name for r in response.context["page_obj"]}
    assert names == {"Room in A", "Room in grid A1"}


def test_list_masks_contact_phones(client, tree, worker):
    ResourceFactory(area=tree["a"], contact_phone="13912345678")
    client.force_login(worker)
    content = client.get(LIST).content.decode()
    assert "139****5678" in content
    assert "13912345678" not in content


def test_list_filters_by_kind_and_searches_provider(client, tree, worker):
    ResourceFactory(area=tree["a"], name="Hall", kind=Resource.Kind.VENUE, provider_name="School")
    ResourceFactory(
        area=tree["a"], name="Drill", kind=Resource.Kind.EQUIPMENT, provider_name="Shop"
    )
    ResourceFactory(
        area=tree["a"], name="Team", kind=Resource.Kind.VOLUNTEER_TEAM, provider_name="Shop"
    )
    client.force_login(worker)
    by_kind = client.get(LIST, {"kind": Resource.Kind.EQUIPMENT})
    assert [r.name for r in by_kind.context["page_obj"]] == ["Drill"]
    by_search = client.get(LIST, {"q": "shop", "sort": "name"})
    assert [r.name for r in by_search.context["page_obj"]] == ["Drill", "Team"]


def test_list_filters_by_category_and_community_including_its_grids(client, tree, street_officer):
    elderly, meals = category("elderly_care"), category("meals")
    ResourceFactory(area=tree["grid_a"], name="Grid canteen", categories=[meals])
    ResourceFactory(area=tree["a"], name="A visitors", categories=[elderly])
    ResourceFactory(area=tree["c"], name="C canteen", categories=[meals])
    client.force_login(street_officer)
    in_a = client.get(LIST, {"area": tree["a"].pk, "sort": "name"})
    assert [r.name for r in in_a.context["page_obj"]] == ["A visitors", "Grid canteen"]
    meals_only = client.get(LIST, {"category": meals.pk, "sort": "name"})
    assert [r.name for r in meals_only.context["page_obj"]] == ["C canteen", "Grid canteen"]


def test_list_area_filter_offers_no_area_outside_reach(client, tree, worker):
    ResourceFactory(area=tree["a"], name="Room in A")
    client.force_login(worker)
    response = client.get(LIST, {"area": tree["b"].pk})
    # An out-of-reach choice is not valid, so it narrows nothing and reveals nothing.
    assert "area" in response.context["filter"].errors
    assert tree["b"] not in response.context["filter"].form.fields["area"].queryset


def test_list_sorts_by_capacity_both_ways(client, tree, worker):
    for capacity in (5, 1, 9):
        ResourceFactory(area=tree["a"], name=f"Cap {capacity}", capacity=capacity)
    client.force_login(worker)
    ascending = client.get(LIST, {"sort": "capacity"})
    assert [r.capacity for r in ascending.context["page_obj"]] == [1, 5, 9]
    descending = client.get(LIST, {"sort": "-capacity"})
    assert [r.capacity for r in descending.context["page_obj"]] == [9, 5, 1]


def test_list_ignores_an_unknown_sort(client, tree, worker):
    ResourceFactory(area=tree["a"])
    client.force_login(worker)
    assert client.get(LIST, {"sort": "contact_phone"}).status_code == 200


def test_list_shows_an_empty_state(client, worker):
    client.force_login(worker)
    assert "No resources yet." in client.get(LIST).content.decode()


def test_list_is_paged_by_25(client, tree, worker):
    ResourceFactory.create_batch(27, area=tree["a"])
    client.force_login(worker)
    assert len(client.get(LIST).context["page_obj"]) == 25
    assert len(client.get(LIST, {"page": 2}).context["page_obj"]) == 2


def test_list_runs_a_bounded_number_of_queries(client, tree, worker, django_assert_max_num_queries):
    cats = [category("elderly_care"), category("meals"), category("culture")]
    ResourceFactory.create_batch(30, area=tree["a"], categories=cats)
    client.force_login(worker)
    with django_assert_max_num_queries(12):
        response = client.get(LIST, {"sort": "name", "kind": Resource.Kind.VENUE})
    assert len(response.context["page_obj"]) == 25


def test_list_needs_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_list_is_forbidden_without_reach(client, tree):
    auditor = user_with_role(Role.AUDITOR, tree["city"])
    client.force_login(auditor)
    assert client.get(LIST).status_code == 403


def test_member_sees_list_without_new_button_and_cannot_create(client, tree, member):
    ResourceFactory(area=tree["a"], name="Room in A")
    client.force_login(member)
    response = client.get(LIST)
    assert response.status_code == 200
    assert response.context["can_create"] is False
    assert CREATE not in response.content.decode()
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, form_data(tree["a"])).status_code == 403
    assert not Resource.objects.filter(name="Reading room").exists()


def test_worker_sees_new_resource_button(client, worker):
    client.force_login(worker)
    assert CREATE in client.get(LIST).content.decode()


# --- detail -------------------------------------------------------------------------------


def test_detail_shows_facts_and_history(client, tree, worker):
    resource = create_resource(
        by=worker,
        categories=[category()],
        name="Reading room",
        provider_type="unit",
        provider_name="District library",
        kind="venue",
        area=tree["a"],
        contact_phone="13900002222",
    )
    client.force_login(worker)
    response = client.get(detail_url(resource))
    assert response.status_code == 200
    content = response.content.decode()
    assert "District library" in content
    assert "Created" in content  # the history timeline
    assert edit_url(resource) in content


def test_detail_masks_phone_and_hides_edit_for_a_member(client, tree, member):
    resource = ResourceFactory(area=tree["a"], contact_phone="13912345678")
    client.force_login(member)
    content = client.get(detail_url(resource)).content.decode()
    assert "139****5678" in content
    assert "13912345678" not in content
    assert edit_url(resource) not in content


def test_detail_of_another_community_is_404(client, tree, worker):
    resource = ResourceFactory(area=tree["b"])
    client.force_login(worker)
    assert client.get(detail_url(resource)).status_code == 404


# --- create -------------------------------------------------------------------------------


def test_create_form_offers_only_areas_in_reach(client, tree, worker):
    client.force_login(worker)
    response = client.get(CREATE)
    assert response.status_code == 200
    areas = set(response.context["form"].fields["area"].queryset)
    assert areas == {tree["a"], tree["grid_a"]}
    assert "status" not in response.context["form"].fields


def test_create_resource_through_the_page_writes_an_audit_event(client, tree, worker):
    client.force_login(worker)
    response = client.post(CREATE, form_data(tree["grid_a"]))
    resource = Resource.objects.get(name="Reading room")
    assert response.status_code == 302
    assert response["Location"] == detail_url(resource)
    assert resource.area == tree["grid_a"]
    assert resource.capacity == 20
    assert resource.availability == ["weekday_morning", "weekend_morning"]
    assert resource.created_by == worker
    assert list(resource.categories.values_list("code", flat=True)) == ["culture"]
    event = AuditEvent.objects.get(action="resource.created")
    assert event.object_id == str(resource.pk)
    assert event.actor == worker


def test_create_with_a_bad_phone_is_400_with_the_message(client, tree, worker):
    client.force_login(worker)
    response = client.post(CREATE, form_data(tree["a"], contact_phone="12345"))
    assert response.status_code == 400
    assert "Enter an 11-digit mobile number starting with 1." in response.content.decode()
    assert not Resource.objects.exists()


def test_create_needs_a_category_and_a_positive_capacity(client, tree, worker):
    client.force_login(worker)
    response = client.post(CREATE, form_data(tree["a"], categories=[], capacity="0"))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "categories" in errors and "capacity" in errors


def test_create_in_another_community_is_refused(client, tree, worker):
    client.force_login(worker)
    response = client.post(CREATE, form_data(tree["b"]))
    assert response.status_code == 400
    assert "area" in response.context["form"].errors
    assert not Resource.objects.exists()


def test_create_turns_a_domain_error_into_a_form_error(client, tree, worker, monkeypatch):
    def refuse(**kwargs):
        raise InvalidInput("This provider is already listed.", field="provider_name")

    monkeypatch.setattr("resources.views.resource_list.create_resource", refuse)
    client.force_login(worker)
    response = client.post(CREATE, form_data(tree["a"]))
    assert response.status_code == 400
    assert response.context["form"].errors["provider_name"] == ["This provider is already listed."]
    assert "This provider is already listed." in response.content.decode()


# --- edit ---------------------------------------------------------------------------------


def test_edit_form_is_prefilled(client, tree, worker):
    resource = ResourceFactory(area=tree["a"], name="Old name", availability=["weekday_evening"])
    client.force_login(worker)
    response = client.get(edit_url(resource))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["name"] == "Old name"
    assert form.initial["availability"] == ["weekday_evening"]
    assert "status" in form.fields


def test_edit_saves_changes_and_audits_them(client, tree, worker):
    resource = ResourceFactory(area=tree["a"], name="Old name")
    client.force_login(worker)
    response = client.post(
        edit_url(resource), form_data(tree["a"], name="New name", status=Resource.Status.PAUSED)
    )
    assert response.status_code == 302
    resource.refresh_from_db()
    assert resource.name == "New name"
    assert resource.status == Resource.Status.PAUSED
    event = AuditEvent.objects.get(action="resource.updated")
    assert event.data["name"] == ["Old name", "New name"]


def test_edit_with_errors_is_400_and_changes_nothing(client, tree, worker):
    resource = ResourceFactory(area=tree["a"], name="Old name")
    client.force_login(worker)
    response = client.post(edit_url(resource), form_data(tree["a"], name="", status="available"))
    assert response.status_code == 400
    resource.refresh_from_db()
    assert resource.name == "Old name"


def test_editing_an_out_of_reach_resource_is_404(client, tree, worker):
    resource = ResourceFactory(area=tree["b"], name="B room")
    client.force_login(worker)
    assert client.get(edit_url(resource)).status_code == 404
    assert (
        client.post(edit_url(resource), form_data(tree["a"], status="available")).status_code == 404
    )
    resource.refresh_from_db()
    assert resource.name == "B room"


def test_editing_by_a_member_is_403(client, tree, member):
    resource = ResourceFactory(area=tree["a"])
    client.force_login(member)
    assert client.get(edit_url(resource)).status_code == 403
    assert (
        client.post(edit_url(resource), form_data(tree["a"], status="available")).status_code == 403
    )

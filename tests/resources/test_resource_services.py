"""The resource list: creating and editing resources, audited, within the editor's reach."""

from decimal import Decimal

import pytest

from portal.errors import InvalidInput, PermissionDenied
from portal.models import AuditEvent, Role
from resources.models import AvailabilitySlot, Resource
from resources.services.resources import create_resource, update_resource
from tests.factories import ResourceFactory, category, user_with_role


def _fields(area, **overrides):
    fields = {
        "name": "Reading room",
        "provider_type": Resource.ProviderType.UNIT,
        "provider_name": "District library",
        "kind": Resource.Kind.VENUE,
        "capacity": 20,
        "availability": [AvailabilitySlot.WEEKDAY_EVENING],
        "area": area,
    }
    fields.update(overrides)
    return fields


# Creating -------------------------------------------------------------------------------------


def test_a_worker_adds_a_resource_to_their_community(tree, worker):
    resource = create_resource(by=worker, categories=[category()], **_fields(tree["a"]))

    assert resource.area == tree["a"]
    assert resource.created_by == worker
    assert list(resource.categories.all()) == [category()]


def test_a_resource_may_serve_a_grid(tree, worker):
    resource = create_resource(by=worker, categories=[category()], **_fields(tree["grid_a"]))

    assert resource.area == tree["grid_a"]


def test_creating_a_resource_is_audited(tree, worker):
    resource = create_resource(by=worker, categories=[category()], **_fields(tree["a"]))

    event = AuditEvent.objects.get(action="resource.created")
    assert event.object_id == str(resource.pk)
    assert event.actor == worker
    assert event.area == tree["a"]
    assert event.data == {"name": "Reading room", "kind": "venue", "categories": ["elderly_care"]}


@pytest.mark.parametrize("capacity", [0, -1])
def test_capacity_must_be_at_least_one(tree, worker, capacity):
    with pytest.raises(InvalidInput) as excinfo:
        create_resource(by=worker, categories=[category()], **_fields(tree["a"], capacity=capacity))

    assert excinfo.value.field == "capacity"
    assert not Resource.objects.exists()


def test_unknown_availability_is_refused(tree, worker):
    with pytest.raises(InvalidInput) as excinfo:
        create_resource(
            by=worker,
            categories=[category()],
            **_fields(tree["a"], availability=["weekday_evening", "full_moon"]),
        )

    assert excinfo.value.field == "availability"
    assert "full_moon" in str(excinfo.value.message)


def test_a_resource_serves_at_least_one_category(tree, worker):
    with pytest.raises(InvalidInput) as excinfo:
        create_resource(by=worker, categories=[], **_fields(tree["a"]))

    assert excinfo.value.field == "categories"


@pytest.mark.parametrize("level", ["city", "district", "street1"])
def test_a_resource_serves_a_community_or_a_grid_only(tree, street_officer, level):
    with pytest.raises(InvalidInput) as excinfo:
        create_resource(by=street_officer, categories=[category()], **_fields(tree[level]))

    assert excinfo.value.field == "area"


def test_a_worker_cannot_add_a_resource_to_another_community(tree, worker):
    with pytest.raises(PermissionDenied):
        create_resource(by=worker, categories=[category()], **_fields(tree["b"]))

    assert not Resource.objects.exists()


def test_a_street_officer_may_add_a_resource_to_any_community_of_the_street(tree, street_officer):
    resource = create_resource(by=street_officer, categories=[category()], **_fields(tree["c"]))

    assert resource.area == tree["c"]


def test_a_member_cannot_add_resources(tree):
    member = user_with_role(Role.MEMBER, tree["a"])

    with pytest.raises(PermissionDenied):
        create_resource(by=member, categories=[category()], **_fields(tree["a"]))


def test_fields_outside_the_form_are_a_programming_error(tree, worker):
    with pytest.raises(TypeError):
        create_resource(by=worker, categories=[category()], created_by=worker, **_fields(tree["a"]))


# Editing --------------------------------------------------------------------------------------


def test_an_edit_records_each_changed_field_old_and_new(tree, worker):
    resource = ResourceFactory(area=tree["a"], capacity=2, name="Hall")

    update_resource(resource=resource, by=worker, capacity=5, name="Hall")

    event = AuditEvent.objects.get(action="resource.updated")
    assert event.data == {"capacity": [2, 5]}
    assert event.object_id == str(resource.pk)
    assert event.actor == worker


def test_an_edit_saves_the_new_values(tree, worker):
    resource = ResourceFactory(area=tree["a"], capacity=2)

    update_resource(resource=resource, by=worker, capacity=5, status=Resource.Status.PAUSED)

    resource.refresh_from_db()
    assert (resource.capacity, resource.status) == (5, Resource.Status.PAUSED)


def test_an_edit_that_changes_nothing_writes_no_event(tree, worker):
    resource = ResourceFactory(area=tree["a"], capacity=2, name="Hall")

    update_resource(resource=resource, by=worker, capacity=2, name="Hall")

    assert not AuditEvent.objects.filter(action="resource.updated").exists()


def test_the_same_amount_written_differently_is_no_change(tree, worker):
    resource = ResourceFactory(area=tree["a"], value_amount=Decimal("100.00"))
    resource.refresh_from_db()

    update_resource(resource=resource, by=worker, value_amount=Decimal("100"))

    assert not AuditEvent.objects.filter(action="resource.updated").exists()


def test_an_edit_records_moving_to_another_area_by_id(tree, worker):
    resource = ResourceFactory(area=tree["a"])

    update_resource(resource=resource, by=worker, area=tree["grid_a"])

    data = AuditEvent.objects.get(action="resource.updated").data
    assert data == {"area": [tree["a"].pk, tree["grid_a"].pk]}


def test_an_edit_records_changed_categories_by_code(tree, worker):
    resource = ResourceFactory(area=tree["a"], categories=[category("elderly_care")])

    update_resource(
        resource=resource, by=worker, categories=[category("meals"), category("health")]
    )

    data = AuditEvent.objects.get(action="resource.updated").data
    assert data == {"categories": [["elderly_care"], ["health", "meals"]]}
    assert set(resource.categories.values_list("code", flat=True)) == {"health", "meals"}


def test_an_edit_cannot_remove_every_category(tree, worker):
    resource = ResourceFactory(area=tree["a"], capacity=2)

    with pytest.raises(InvalidInput) as excinfo:
        update_resource(resource=resource, by=worker, capacity=9, categories=[])

    assert excinfo.value.field == "categories"
    resource.refresh_from_db()
    assert resource.capacity == 2
    assert not AuditEvent.objects.exists()


def test_an_edit_cannot_set_capacity_below_one(tree, worker):
    resource = ResourceFactory(area=tree["a"], capacity=2)

    with pytest.raises(InvalidInput) as excinfo:
        update_resource(resource=resource, by=worker, capacity=0)

    assert excinfo.value.field == "capacity"
    resource.refresh_from_db()
    assert resource.capacity == 2


def test_an_edit_cannot_add_unknown_availability(tree, worker):
    resource = ResourceFactory(area=tree["a"])

    with pytest.raises(InvalidInput) as excinfo:
        update_resource(resource=resource, by=worker, availability=["sometimes"])

    assert excinfo.value.field == "availability"


def test_a_worker_cannot_edit_another_communitys_resource(tree, worker):
    resource = ResourceFactory(area=tree["b"], capacity=2)

    with pytest.raises(PermissionDenied):
        update_resource(resource=resource, by=worker, capacity=5)

    resource.refresh_from_db()
    assert resource.capacity == 2


def test_a_worker_cannot_move_a_resource_out_of_their_reach(tree, worker):
    resource = ResourceFactory(area=tree["a"])

    with pytest.raises(PermissionDenied):
        update_resource(resource=resource, by=worker, area=tree["b"])

    resource.refresh_from_db()
    assert resource.area == tree["a"]


def test_a_district_official_cannot_edit_resources(tree):
    official = user_with_role(Role.DISTRICT_OFFICIAL, tree["district"])
    resource = ResourceFactory(area=tree["a"])

    with pytest.raises(PermissionDenied):
        update_resource(resource=resource, by=official, capacity=5)

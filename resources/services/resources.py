"""Every write to the resource list."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from portal import audit
from portal.access import Action, can
from portal.errors import InvalidInput, PermissionDenied
from portal.models import Area, User
from resources.models import AvailabilitySlot, NeedCategory, Resource
from resources.services.changes import changed_fields

EDITABLE_FIELDS = (
    "name",
    "description",
    "provider_type",
    "provider_name",
    "kind",
    "tier",
    "capacity",
    "availability",
    "area",
    "contact_name",
    "contact_phone",
    "value_amount",
    "valid_until",
    "status",
)


def _check(*, by: User, area: Area, fields: dict[str, Any]) -> None:
    if area.level not in (Area.Level.COMMUNITY, Area.Level.GRID):
        raise InvalidInput(_("A resource serves a community or a grid."), field="area")
    if not can(by, Action.RESOURCE_CHANGE, area=area):
        raise PermissionDenied(_("You cannot manage resources of this area."))
    unknown = set(fields.get("availability") or []) - set(AvailabilitySlot.values)
    if unknown:
        raise InvalidInput(
            _("Unknown availability: %(slots)s") % {"slots": ", ".join(sorted(unknown))},
            field="availability",
        )
    if fields.get("capacity") is not None and fields["capacity"] < 1:
        raise InvalidInput(_("Capacity must be at least 1."), field="capacity")


def create_resource(*, by: User, categories: Iterable[NeedCategory], **fields: Any) -> Resource:
    """Add a resource to the list of the area it serves."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unexpected fields: {sorted(unknown)}")
    categories = list(categories)
    if not categories:
        raise InvalidInput(
            _("Choose at least one category the resource serves."), field="categories"
        )
    _check(by=by, area=fields["area"], fields=fields)
    with transaction.atomic():
        resource = Resource.objects.create(created_by=by, **fields)
        resource.categories.set(categories)
        audit.record(
            action="resource.created",
            actor=by,
            obj=resource,
            area=resource.area,
            data={
                "name": resource.name,
                "kind": resource.kind,
                "categories": [c.code for c in categories],
            },
        )
    return resource


def update_resource(
    *, resource: Resource, by: User, categories: Iterable[NeedCategory] | None = None, **fields: Any
) -> Resource:
    """Change a resource; the audit event lists the fields that changed, old and new."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unexpected fields: {sorted(unknown)}")
    if not can(by, Action.RESOURCE_CHANGE, area=resource.area):
        raise PermissionDenied(_("You cannot manage resources of this area."))
    _check(by=by, area=fields.get("area", resource.area), fields=fields)
    with transaction.atomic():
        locked = Resource.objects.select_for_update().get(pk=resource.pk)
        changes = changed_fields(locked, fields)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
        if categories is not None:
            categories = list(categories)
            if not categories:
                raise InvalidInput(
                    _("Choose at least one category the resource serves."), field="categories"
                )
            before = sorted(locked.categories.values_list("code", flat=True))
            after = sorted(c.code for c in categories)
            if before != after:
                locked.categories.set(categories)
                changes["categories"] = [before, after]
        if changes:
            audit.record(
                action="resource.updated", actor=by, obj=locked, area=locked.area, data=changes
            )
    return locked

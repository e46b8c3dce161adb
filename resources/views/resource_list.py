"""Staff pages of the resource list (资源清单): list, detail, create and edit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.access import Action, can
from portal.audit import history_for
from portal.errors import DomainError, PermissionDenied
from portal.models import AuditEvent
from resources.filters.resources import ResourceFilter
from resources.forms.resources import ResourceForm
from resources.selectors import get_resource, resources_for
from resources.services import create_resource, update_resource

PAGE_SIZE = 25

EVENT_LABELS = {
    "resource.created": gettext_lazy("Created"),
    "resource.updated": gettext_lazy("Edited"),
}


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    actor: str
    label: str
    details: str


def _describe(value: Any) -> str:
    if isinstance(value, list) and len(value) == 2:
        return f"{_describe(value[0])} → {_describe(value[1])}"
    if isinstance(value, list):
        return ", ".join(_describe(v) for v in value)
    return "—" if value in (None, "") else str(value)


def timeline(events: Iterable[AuditEvent], labels: dict[str, Any]) -> list[TimelineEntry]:
    """Audit events as lines a person can read: who, when, what, and the details recorded."""
    return [
        TimelineEntry(
            at=event.created_at,
            actor=event.actor_label,
            label=str(labels.get(event.action, event.action)),
            details="; ".join(f"{key}: {_describe(value)}" for key, value in event.data.items()),
        )
        for event in events
    ]


def forbidden(request, message):
    return render(request, "error.html", {"message": message}, status=403)


def _posted(request):
    return request.POST if request.method == "POST" else None


@login_required
def resource_list(request):
    """Resources in the user's reach, filtered, searched, sorted and paged."""
    if not can(request.user, Action.RESOURCE_VIEW):
        return forbidden(request, _("You cannot view the resource list."))
    filterset = ResourceFilter(request.GET, queryset=resources_for(request.user), request=request)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "resources/resource_list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "sort": request.GET.get("sort", ""),
            "can_create": can(request.user, Action.RESOURCE_CHANGE),
        },
    )


@login_required
def resource_detail(request, pk: int):
    resource = get_resource(user=request.user, pk=pk)
    can_edit = can(request.user, Action.RESOURCE_CHANGE, area=resource.area)
    return render(
        request,
        "resources/resource_detail.html",
        {
            "resource": resource,
            "can_edit": can_edit,
            "history": timeline(history_for(resource), EVENT_LABELS),
        },
    )


@login_required
def resource_create(request):
    if not can(request.user, Action.RESOURCE_CHANGE):
        return forbidden(request, _("You cannot add resources."))
    form = ResourceForm(_posted(request), user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                resource = create_resource(by=request.user, **form.service_kwargs())
            except PermissionDenied:
                raise
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Resource added."))
                return redirect("resources:resource_detail", pk=resource.pk)
        status = 400
    return render(request, "resources/resource_form.html", {"form": form}, status=status)


@login_required
def resource_edit(request, pk: int):
    # 404 when out of view reach; 403 when it can be seen but not changed.
    resource = get_resource(user=request.user, pk=pk)
    if not can(request.user, Action.RESOURCE_CHANGE, area=resource.area):
        return forbidden(request, _("You cannot edit resources of this area."))
    form = ResourceForm(_posted(request), user=request.user, instance=resource)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                update_resource(resource=resource, by=request.user, **form.service_kwargs())
            except PermissionDenied:
                raise
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Resource saved."))
                return redirect("resources:resource_detail", pk=resource.pk)
        status = 400
    return render(
        request, "resources/resource_form.html", {"form": form, "resource": resource}, status=status
    )

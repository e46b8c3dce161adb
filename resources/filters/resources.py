"""Filters, search and sorting for the resource list page."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from portal.access import Action, areas_for
from portal.models import Area
from resources.models import NeedCategory, ProviderType, ResourceKind, ResourceStatus, ResourceTier


class SortFilter(django_filters.CharFilter):
    """Order by a whitelisted column from the ``sort`` parameter ("name" or "-name").

    Unknown values are ignored, so a tampered link falls back to the default order. The id
    breaks ties so that pages never repeat or skip rows.
    """

    def __init__(self, *, columns: dict[str, str], **kwargs):
        self.columns = columns
        kwargs.setdefault("widget", forms.HiddenInput)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        value = (value or "").strip()
        descending = value.startswith("-")
        column = self.columns.get(value.removeprefix("-"))
        if column is None:
            return qs
        prefix = "-" if descending else ""
        return qs.order_by(f"{prefix}{column}", f"{prefix}id")


def _areas_in_view(request) -> QuerySet[Area]:
    if request is None:
        return Area.objects.none()
    return areas_for(
        request.user, Action.RESOURCE_VIEW, levels=[Area.Level.COMMUNITY, Area.Level.GRID]
    )


def _categories(request) -> QuerySet[NeedCategory]:
    return NeedCategory.objects.filter(is_active=True)


class ResourceFilter(django_filters.FilterSet):
    """Narrows an already scoped queryset (resources.selectors.resources_for); never widens it."""

    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, provider, description")}
        ),
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=ResourceKind.choices, empty_label=_("Any")
    )
    tier = django_filters.ChoiceFilter(
        label=_("Tier"), choices=ResourceTier.choices, empty_label=_("Any")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=ResourceStatus.choices, empty_label=_("Any")
    )
    provider_type = django_filters.ChoiceFilter(
        label=_("Provider type"), choices=ProviderType.choices, empty_label=_("Any")
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), field_name="categories", queryset=_categories, empty_label=_("Any")
    )
    area = django_filters.ModelChoiceFilter(
        label=_("Area"), queryset=_areas_in_view, method="in_area", empty_label=_("Any")
    )
    sort = SortFilter(columns={"name": "name", "created_at": "created_at", "capacity": "capacity"})

    class Meta:
        fields: list[str] = []

    def search(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(name__icontains=value)
            | Q(provider_name__icontains=value)
            | Q(description__icontains=value)
        )

    def in_area(self, qs: QuerySet, name: str, value: Area) -> QuerySet:
        # A community includes the resources of its grids.
        return qs.filter(area__path__startswith=value.path)

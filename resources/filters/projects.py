"""Filters, search and sorting for the project list page.

There is deliberately no red/amber/green filter: the colour is computed from tasks in Python,
and filtering on it would only be honest over every row, not the current page.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from portal.access import Action, areas_for
from portal.models import Area, User
from resources.filters.resources import SortFilter
from resources.forms.projects import owner_choices
from resources.models import ProjectStatus


def _communities_in_view(request) -> QuerySet[Area]:
    if request is None:
        return Area.objects.none()
    return areas_for(request.user, Action.PROJECT_VIEW, levels=[Area.Level.COMMUNITY])


def _owners_in_view(request) -> QuerySet[User]:
    if request is None:
        return User.objects.none()
    return owner_choices(request.user)


class ProjectFilter(django_filters.FilterSet):
    """Narrows an already scoped queryset (resources.selectors.projects_for); never widens it."""

    q = django_filters.CharFilter(
        label=_("Search"),
        field_name="title",
        lookup_expr="icontains",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Title")}),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=ProjectStatus.choices, empty_label=_("Any")
    )
    community = django_filters.ModelChoiceFilter(
        label=_("Community"), field_name="area", queryset=_communities_in_view, empty_label=_("Any")
    )
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"), queryset=_owners_in_view, empty_label=_("Any")
    )
    sort = SortFilter(columns={"title": "title", "planned_end": "planned_end", "status": "status"})

    class Meta:
        fields: list[str] = []

"""Filters for the staff needs list. The queryset handed in is already scoped to the user."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.access import Action, areas_for
from portal.models import Area
from resources.models import Channel, Need, NeedCategory, NeedStatus, TargetGroup


def _communities_in_reach(request):
    if request is None:
        return Area.objects.none()
    return areas_for(request.user, Action.NEED_VIEW, levels=[Area.Level.COMMUNITY]).order_by("path")


# The "escalated" filter: which escalation levels each choice keeps.
ESCALATION_FILTERS = {
    "any": Q(escalation_level__gte=1),
    "street": Q(escalation_level=1),
    "district": Q(escalation_level=2),
}


class NeedFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Number, title or name")}),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=NeedStatus.choices, empty_label=_("Any status")
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), queryset=NeedCategory.objects.all(), empty_label=_("Any category")
    )
    channel = django_filters.ChoiceFilter(
        label=_("Channel"), choices=Channel.choices, empty_label=_("Any channel")
    )
    target_group = django_filters.ChoiceFilter(
        label=_("Target group"), choices=TargetGroup.choices, empty_label=_("Any group")
    )
    community = django_filters.ModelChoiceFilter(
        label=_("Community"), queryset=_communities_in_reach, empty_label=_("All communities")
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"),
        method="filter_overdue",
        widget=forms.CheckboxInput(attrs={"value": "1"}),
    )
    escalated = django_filters.ChoiceFilter(
        label=_("Escalated"),
        choices=[
            ("any", _("Escalated (street or district)")),
            ("street", _("At the street office")),
            ("district", _("At the district")),
        ],
        empty_label=_("Escalated or not"),
        method="filter_escalated",
    )
    submitted = django_filters.DateFromToRangeFilter(
        label=_("Submitted between"),
        field_name="submitted_at",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )

    class Meta:
        model = Need
        fields = [
            "q",
            "status",
            "category",
            "channel",
            "target_group",
            "community",
            "overdue",
            "escalated",
        ]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(tracking_number__icontains=value)
            | Q(title__icontains=value)
            | Q(requester_name__icontains=value)
        )

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(status=Need.Status.SUBMITTED, due_at__lt=timezone.now())

    def filter_escalated(self, queryset, name, value):
        condition = ESCALATION_FILTERS.get(value)
        return queryset.filter(condition) if condition is not None else queryset

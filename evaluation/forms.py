"""Forms and filters of the points and rewards pages; the services do the real validation."""

from __future__ import annotations

import uuid

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from evaluation.models import RULE_EVENTS, PointEntry, PointEvent
from evaluation.services.rules import RULE_LEVELS
from portal.access import Action, areas_for
from portal.models import Area


def _communities(user, action: str):
    """Communities where ``user`` may ``action``, for pickers and filters."""
    if user is None:
        return Area.objects.none()
    return areas_for(user, action, levels=[Area.Level.COMMUNITY]).order_by("path")


class PointLedgerFilter(django_filters.FilterSet):
    """Filters for the staff ledger; the queryset handed in is already scoped to the user."""

    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Member or unit name")}),
    )
    event = django_filters.ChoiceFilter(
        label=_("Event"), choices=PointEvent.choices, empty_label=_("Any event")
    )
    community = django_filters.ModelChoiceFilter(
        label=_("Community"),
        queryset=lambda request: _communities(
            request.user if request else None, Action.POINTS_VIEW
        ),
        empty_label=_("All communities"),
    )
    occurred = django_filters.DateFromToRangeFilter(
        label=_("Between"),
        field_name="occurred_on",
        widget=django_filters.widgets.DateRangeWidget(attrs={"type": "date"}),
    )

    class Meta:
        model = PointEntry
        fields = ["q", "event", "community", "occurred"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(member__user__real_name__icontains=value)
            | Q(member__user__username__icontains=value)
            | Q(unit__name__icontains=value)
        )


class PointRuleForm(forms.Form):
    area = forms.ModelChoiceField(
        label=_("Area"), queryset=Area.objects.none(), empty_label=_("Choose an area")
    )
    event = forms.ChoiceField(
        label=_("Event"), choices=[(event.value, event.label) for event in RULE_EVENTS]
    )
    year = forms.IntegerField(
        label=_("Year"),
        required=False,
        min_value=2000,
        max_value=2100,
        help_text=_("Leave empty to apply to every year."),
    )
    points = forms.DecimalField(
        label=_("Points"),
        min_value=0,
        max_digits=6,
        decimal_places=2,
        help_text=_("For service hours: points per verified hour."),
    )
    daily_cap = forms.DecimalField(
        label=_("Daily cap"),
        required=False,
        min_value=0,
        max_digits=7,
        decimal_places=2,
        help_text=_("Most points of this kind a member or unit can earn in one day; empty: none."),
    )
    active = forms.BooleanField(
        label=_("In force"),
        required=False,
        initial=True,
        help_text=_("An inactive rule is kept but ignored; the next rule up the tree applies."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas_for(
            user, Action.SETTING_CHANGE, levels=RULE_LEVELS
        ).order_by("path")


class RewardForm(forms.Form):
    community = forms.ModelChoiceField(
        label=_("Community"), queryset=Area.objects.none(), empty_label=_("Choose a community")
    )
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    points_cost = forms.DecimalField(
        label=_("Points"), min_value=0, max_digits=10, decimal_places=2
    )
    stock = forms.IntegerField(
        label=_("Stock"), min_value=0, help_text=_("Units on the shelf now.")
    )
    active = forms.BooleanField(label=_("On offer"), required=False, initial=True)

    def __init__(self, *args, user, reward=None, **kwargs):
        super().__init__(*args, **kwargs)
        if reward is not None:
            # A reward stays in its community's shop.
            del self.fields["community"]
        else:
            self.fields["community"].queryset = _communities(user, Action.REWARD_MANAGE)
            del self.fields["active"]


class RedeemForm(forms.Form):
    """One key per rendered form, so that pressing Redeem twice redeems once."""

    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)

    @classmethod
    def fresh(cls) -> RedeemForm:
        return cls(initial={"idempotency_key": uuid.uuid4().hex})


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)

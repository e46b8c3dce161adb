"""Forms for the enrollment pages: enrolling, agreement lines, decisions and the staff filters."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.access import Action, areas_for
from portal.models import Area
from portal.selectors import communities_by_street
from reporting.models import Enrollment, EnrollmentStatus, PartyMember, ResidentUnit
from resources.models import AvailabilitySlot, NeedCategory, ResourceKind

MEMBER_SUBJECT = "member"
MAX_AGREEMENT_LINES = 5


def unit_subject(unit: ResidentUnit) -> str:
    return f"unit-{unit.pk}"


class EnrollForm(forms.Form):
    """Who enrols, where, for which year, and what they offer."""

    subject = forms.ChoiceField(label=_("Who is enrolling"), widget=forms.RadioSelect)
    community = forms.TypedChoiceField(label=_("Community"), coerce=int, empty_value=None)
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)
    categories = forms.ModelMultipleChoiceField(
        label=_("Services you can offer"),
        queryset=NeedCategory.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        to_field_name="code",
    )
    skills = forms.CharField(
        label=_("Skills"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: first aid, legal advice, tutoring, repairs."),
    )
    times = forms.MultipleChoiceField(
        label=_("When you are available"),
        choices=AvailabilitySlot.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        member: PartyMember | None,
        units: list[ResidentUnit],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.member = member
        self.units = {unit_subject(unit): unit for unit in units}
        choices = []
        if member is not None:
            choices.append((MEMBER_SUBJECT, _("Myself, as a party member")))
        choices += [(key, unit.name) for key, unit in self.units.items()]
        self.fields["subject"].choices = choices
        if choices:
            self.fields["subject"].initial = choices[0][0]
        if len(choices) == 1:
            self.fields["subject"].widget = forms.HiddenInput()
        grouped = communities_by_street()
        self._communities = {c.pk: c for _street, communities in grouped for c in communities}
        self.fields["community"].choices = [("", _("Choose…"))] + [
            (street.name, [(c.pk, c.name) for c in communities]) for street, communities in grouped
        ]
        home = member.home_community_id if member else None
        if home is None and units:
            home = units[0].community_id
        self.fields["community"].initial = home
        this_year = timezone.localdate().year
        self.fields["year"].choices = [(this_year, this_year), (this_year + 1, this_year + 1)]
        self.fields["year"].initial = this_year

    def clean_community(self) -> Area:
        return self._communities[self.cleaned_data["community"]]

    def clean_subject(self) -> ResidentUnit | None:
        """None for the member themself, else the unit."""
        value = self.cleaned_data["subject"]
        return None if value == MEMBER_SUBJECT else self.units[value]

    def intentions(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "categories": [c.code for c in data["categories"]],
            "skills": data["skills"],
            "times": list(data["times"]),
        }


class AgreementLineForm(forms.Form):
    """One resource a unit commits in its co-building agreement."""

    name = forms.CharField(label=_("Resource"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("Choose…")), *ResourceKind.choices])
    category = forms.ModelChoiceField(
        label=_("Category served"),
        queryset=NeedCategory.objects.filter(is_active=True),
        to_field_name="code",
        empty_label=_("Choose…"),
    )
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, initial=1)

    def item(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "kind": data["kind"],
            "categories": [data["category"].code],
            "capacity": data["capacity"],
        }


AgreementFormSet = forms.formset_factory(
    AgreementLineForm, extra=MAX_AGREEMENT_LINES, max_num=MAX_AGREEMENT_LINES, validate_max=True
)


def agreement_items(formset) -> list[dict[str, Any]]:
    """The filled-in lines of a valid formset (blank lines are skipped)."""
    return [f.item() for f in formset.forms if f.has_changed() and f.cleaned_data]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False)


class EnrollmentFilter(django_filters.FilterSet):
    """Filters for the staff list; the queryset handed in is already scoped to the user."""

    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Member or unit name")}),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=EnrollmentStatus.choices, empty_label=_("Any status")
    )
    year = django_filters.NumberFilter(label=_("Year"))
    community = django_filters.ModelChoiceFilter(
        label=_("Community"),
        queryset=lambda request: (
            areas_for(request.user, Action.ENROLLMENT_VIEW, levels=[Area.Level.COMMUNITY])
            if request is not None
            else Area.objects.none()
        ).order_by("path"),
        empty_label=_("All communities"),
    )
    kind = django_filters.ChoiceFilter(
        label=_("Member or unit"),
        method="filter_kind",
        choices=[("member", _("Party members")), ("unit", _("Resident units"))],
        empty_label=_("Members and units"),
    )

    class Meta:
        model = Enrollment
        fields = ["q", "status", "year", "community", "kind"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(member__user__real_name__icontains=value)
            | Q(member__user__username__icontains=value)
            | Q(unit__name__icontains=value)
        )

    def filter_kind(self, queryset, name, value):
        if value == "member":
            return queryset.filter(member__isnull=False)
        if value == "unit":
            return queryset.filter(unit__isnull=False)
        return queryset

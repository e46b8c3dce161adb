"""Forms of the annual evaluation pages; the services do the real validation."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evaluation.models import MAX_ADJUSTMENT
from portal.access import Action, areas_for
from portal.models import Area

YEAR_FIELD = {"min_value": 2000, "max_value": 2100}


def this_year() -> int:
    return timezone.localdate().year


class ResultsFilterForm(forms.Form):
    """Which year and which street or community the staff results page shows."""

    year = forms.IntegerField(label=_("Year"), **YEAR_FIELD)
    area = forms.ModelChoiceField(
        label=_("Street or community"),
        queryset=Area.objects.none(),
        to_field_name="code",
        empty_label=None,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas_for(
            user, Action.EVALUATION_VIEW, levels=[Area.Level.STREET, Area.Level.COMMUNITY]
        ).order_by("path")

    def chosen(self, *, default_year: int) -> tuple[int, Area | None]:
        """The year and area asked for; ``default_year`` and the first area in reach when the
        request names none. Raises ``Http404`` for an area outside the user's reach."""
        areas = self.fields["area"].queryset
        if not self.is_bound:
            return default_year, areas.first()
        self.is_valid()
        if self.data.get("area") and "area" in self.errors:
            raise Http404(_("No such area in your reach."))
        return (
            self.cleaned_data.get("year") or default_year,
            self.cleaned_data.get("area") or areas.first(),
        )


class AdjustmentForm(forms.Form):
    points = forms.DecimalField(
        label=_("Points (+ or −)"),
        max_digits=5,
        decimal_places=2,
        min_value=-MAX_ADJUSTMENT,
        max_value=MAX_ADJUSTMENT,
        help_text=_("Added to the computed score; the final score stays within 0–100."),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class YearAreaForm(forms.Form):
    """The year and area code posted by the compute and publish buttons."""

    year = forms.IntegerField(**YEAR_FIELD)
    area = forms.CharField(max_length=20)


class SchemeForm(forms.Form):
    area = forms.ModelChoiceField(
        label=_("Area"), queryset=Area.objects.none(), empty_label=_("Choose an area")
    )
    year = forms.IntegerField(
        label=_("Year"),
        required=False,
        help_text=_("Leave empty to apply to every year."),
        **YEAR_FIELD,
    )
    weight_input_output = forms.DecimalField(
        label=_("Input and output (%)"), max_digits=5, decimal_places=2, initial=Decimal("20")
    )
    weight_satisfaction = forms.DecimalField(
        label=_("Resident satisfaction (%)"),
        max_digits=5,
        decimal_places=2,
        initial=Decimal("40"),
        help_text=_("At least 40%."),
    )
    weight_social_benefit = forms.DecimalField(
        label=_("Social benefit (%)"), max_digits=5, decimal_places=2, initial=Decimal("25")
    )
    weight_sustainability = forms.DecimalField(
        label=_("Sustainability (%)"),
        max_digits=5,
        decimal_places=2,
        initial=Decimal("15"),
        help_text=_("The four weights add up to 100%."),
    )
    pass_mark = forms.DecimalField(
        label=_("Pass mark"), max_digits=5, decimal_places=2, initial=Decimal("60")
    )
    red_top_n = forms.IntegerField(
        label=_("Red list: top places"),
        min_value=0,
        max_value=100,
        initial=3,
        help_text=_("0: only the score below decides."),
    )
    red_threshold = forms.DecimalField(
        label=_("Red list: score at or above"),
        required=False,
        max_digits=5,
        decimal_places=2,
        help_text=_("Empty: only the top places."),
    )
    black_bottom_n = forms.IntegerField(
        label=_("Black list: bottom places"),
        min_value=0,
        max_value=100,
        initial=1,
        help_text=_("Those who failed two years running are listed whatever their place."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas_for(
            user,
            Action.SETTING_CHANGE,
            levels=[Area.Level.CITY, Area.Level.DISTRICT, Area.Level.STREET],
        ).order_by("path")


class ActivityRatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("Stars"),
        coerce=int,
        choices=[(n, "★" * n) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("Comment (optional)"), max_length=1000, required=False)

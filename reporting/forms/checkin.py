"""Forms for check-in: the member's one-tap form, location consent and the organiser's tools."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from reporting.models import PartyMember

_DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _datetime_field(label, *, required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=_DATETIME_WIDGET,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )


class CheckInForm(forms.Form):
    """The one-tap form; ``key`` is made when the page renders, so a retried POST is harmless."""

    ACTIONS = (("in", _("Check in")), ("out", _("Check out")))

    action = forms.ChoiceField(choices=ACTIONS)
    key = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)
    lat = forms.DecimalField(
        required=False, min_value=-90, max_value=90, decimal_places=8, widget=forms.HiddenInput
    )
    lng = forms.DecimalField(
        required=False, min_value=-180, max_value=180, decimal_places=8, widget=forms.HiddenInput
    )

    @staticmethod
    def new_key() -> str:
        return uuid.uuid4().hex


class LocationConsentForm(forms.Form):
    CHOICES = (("grant", _("I agree")), ("revoke", _("Withdraw my consent")))

    decision = forms.ChoiceField(choices=CHOICES)
    next = forms.CharField(required=False, max_length=300, widget=forms.HiddenInput)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CorrectCheckInForm(ReasonForm):
    hours = forms.DecimalField(
        label=_("Hours"),
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("24"),
        decimal_places=2,
    )
    checked_in_at = _datetime_field(_("Checked in at"), required=False)
    checked_out_at = _datetime_field(_("Checked out at"), required=False)

    def clean(self):
        data = super().clean()
        if not any(
            data.get(name) is not None for name in ("hours", "checked_in_at", "checked_out_at")
        ):
            raise forms.ValidationError(_("Enter the corrected hours or times."))
        return data


class ProxyCheckInForm(forms.Form):
    member = forms.ModelChoiceField(
        label=_("Member"), queryset=PartyMember.objects.none(), empty_label=_("Choose…")
    )
    checked_in_at = _datetime_field(_("Checked in at"))
    checked_out_at = _datetime_field(_("Checked out at (optional)"), required=False)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        if members is not None:
            self.fields["member"].queryset = members
        self.fields["member"].label_from_instance = lambda m: (
            f"{m.user.display_name} · {m.user.masked_phone}"
        )


class AnomalyFilterForm(forms.Form):
    KINDS = (
        ("", _("All")),
        ("outside_geofence", _("Outside the geofence")),
        ("shared_device", _("Many members from one device")),
        ("hours_capped", _("Hours above the cap")),
        ("no_checkout", _("No check-out")),
    )

    kind = forms.ChoiceField(label=_("Kind"), choices=KINDS, required=False)

"""The resident's rating forms on the public tracking page.

The tracking number and the phone's last 4 digits travel as hidden fields, so that each
rating is checked against them again: the page has no sign-in and no session.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

STAR_CHOICES = [
    (5, _("5 ★★★★★ Very satisfied")),
    (4, _("4 ★★★★ Satisfied")),
    (3, _("3 ★★★ Acceptable")),
    (2, _("2 ★★ Dissatisfied")),
    (1, _("1 ★ Very dissatisfied")),
]


class ResidentRatingForm(forms.Form):
    tracking_number = forms.CharField(max_length=20, widget=forms.HiddenInput)
    phone_last4 = forms.RegexField(regex=r"^\d{4}$", widget=forms.HiddenInput)
    stars = forms.TypedChoiceField(
        label=_("Your rating"),
        choices=STAR_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose 1 to 5 stars.")},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    @classmethod
    def for_need(cls, *, tracking_number: str, phone_last4: str, **initial):
        return cls(
            initial={"tracking_number": tracking_number, "phone_last4": phone_last4, **initial},
            auto_id=f"id_{initial.get('project', 'need')}_%s",
        )


class ResidentProjectRatingForm(ResidentRatingForm):
    project = forms.IntegerField(widget=forms.HiddenInput)

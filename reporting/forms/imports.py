"""Forms for the Excel import and for issuing a certificate of service hours."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.errors import DomainError
from reporting.importing import MAX_FILE_BYTES, check_workbook_bytes


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What to import"),
        choices=[
            ("members", _("Party members")),
            ("units", _("Resident units")),
            ("resources", _("Resources")),
        ],
        widget=forms.RadioSelect,
        initial="members",
    )
    file = forms.FileField(
        label=_("Excel workbook (.xlsx, at most 2 MB)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: check the file and show what would be imported, without saving"),
        required=False,
        initial=True,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        # Judge by content, not by the name: read it once, check it is a real workbook.
        upload.seek(0)
        content = upload.read(MAX_FILE_BYTES + 1)
        try:
            check_workbook_bytes(content)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None
        self.content = content
        return upload


class CertificateForm(forms.Form):
    period_start = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    period_end = forms.DateField(
        label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["period_start"].initial = date(today.year, 1, 1)
        self.fields["period_end"].initial = today

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The end of the period is before its start."))
        return data


class VerifyForm(forms.Form):
    code = forms.CharField(label=_("Verification code"), max_length=20)

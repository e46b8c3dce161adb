"""Why an export is made: every export asks for a reason before it produces a file.

The export link opens a small page (GET) that carries the list's current filters in hidden
fields and asks for the reason; its POST (CSRF-protected) produces the file or starts the task.
The reason goes into the export's audit event with who and what (kind, filters, row count).
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

REASON_MIN = 4
REASON_MAX = 500
# Fields of the reason page itself and the list's page number: never filters.
NOT_FILTERS = {"reason", "csrfmiddlewaretoken", "page"}


class ExportReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you need this file?"),
        min_length=REASON_MIN,
        max_length=REASON_MAX,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Recorded in the audit log with your name and the filters, e.g. “Monthly report to the street office”."
        ),
        error_messages={
            "required": _("Say why you are exporting this data."),
            "min_length": _("Give a reason of at least %(limit_value)d characters."),
        },
    )


@dataclass(frozen=True)
class ExportRequest:
    """A confirmed export: the filters to apply and the reason given."""

    reason: str
    params: QueryDict

    @property
    def filters(self) -> dict[str, str]:
        """The filters as recorded in the audit event."""
        return {key: value for key, value in self.params.items() if value}


def _params(data: QueryDict) -> QueryDict:
    params = QueryDict(mutable=True)
    for key, values in data.lists():
        if key not in NOT_FILTERS:
            params.setlist(key, values)
    params._mutable = False
    return params


def ask_reason(
    request, *, title: str, note: str = "", status: int = 200
) -> ExportRequest | HttpResponse:
    """On GET the reason page; on POST the confirmed request, or the page again with errors.

    ``title`` names what is exported; ``note`` says what the file holds (e.g. that phone
    numbers are masked). The filters travel from the list's query string into hidden fields.
    """
    if request.method == "POST":
        params = _params(request.POST)
        form = ExportReasonForm(request.POST)
        if form.is_valid():
            return ExportRequest(reason=form.cleaned_data["reason"], params=params)
        status = 400
    else:
        params = _params(request.GET)
        form = ExportReasonForm()
    shown = [(key, value) for key, values in params.lists() for value in values if value]
    return render(
        request,
        "portal/export_reason.html",
        {"form": form, "title": title, "note": note, "hidden": shown},
        status=status,
    )

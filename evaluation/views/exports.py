"""The annual evaluation results of a street or community to .xlsx (the staff results page's
selection): one sheet per level (the street's ranking, each community's), the red and black
lists, and an "about" sheet. Scoped like the page, audited with the reason the user gives on
the page the export link opens (``portal.export_reasons``); no contact details at all."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from evaluation.breakdown import CATEGORY_LABELS
from evaluation.forms_annual import ResultsFilterForm, this_year
from evaluation.models import EvaluationResult
from evaluation.selectors_annual import (
    RankingRow,
    community_rankings,
    publication_of,
    ranking,
    results_for,
)
from portal import audit
from portal.access import Action, can
from portal.errors import PermissionDenied
from portal.export_reasons import ExportRequest, ask_reason
from portal.models import Area
from portal.xlsx import Sheet, build_workbook, chinese
from portal.xlsx import xlsx_response as download


def _headers() -> list[str]:
    return [
        _("Rank"),
        _("Member or unit"),
        _("Name"),
        _("Community"),
        *[str(label) for label in CATEGORY_LABELS.values()],
        _("Computed score"),
        _("Adjustments"),
        _("Score"),
        _("Passed"),
        _("List"),
        _("Why"),
    ]


def _line(row: RankingRow) -> list:
    r: EvaluationResult = row.result
    return [
        row.rank,
        _("Party member") if r.member_id else _("Resident unit"),
        r.subject_name,
        r.community.name,
        *r.category_scores,  # None (an empty cell) for a category left out
        r.computed_score,
        r.adjustment,
        r.final_score,
        _("yes") if r.passed else _("no"),
        row.standing_label if row.standing else "",
        row.reason_label if row.standing else "",
    ]


def _sheets(rows_by_level: list[tuple[str, list[RankingRow]]]) -> list[Sheet]:
    sheets = [
        Sheet(title, _headers(), [_line(row) for row in rows]) for title, rows in rows_by_level
    ]
    _title, first = rows_by_level[0]
    for standing, title in (("red", _("Red list")), ("black", _("Black list"))):
        sheets.append(
            Sheet(title, _headers(), [_line(row) for row in first if row.standing == standing])
        )
    return sheets


@login_required
@require_http_methods(["GET", "POST"])
def evaluation_export(request):
    """Results of the chosen year and street (with its communities) or community."""
    user = request.user
    if not can(user, Action.EVALUATION_VIEW):
        raise PermissionDenied(_("You cannot view evaluation results."))
    # The area is checked before the reason is asked: one out of reach is refused at once.
    params = request.POST if request.method == "POST" else request.GET
    form = ResultsFilterForm(params or None, user=user)
    year, area = form.chosen(default_year=this_year())
    if area is None:
        raise PermissionDenied(_("You cannot view evaluation results."))
    asked = ask_reason(
        request,
        title=_("Annual evaluation results"),
        note=_("Names only; no contact details."),
    )
    if not isinstance(asked, ExportRequest):
        return asked
    results = results_for(user, year=year)
    street = area if area.level == Area.Level.STREET else area.parent
    with chinese():
        levels = [(area.name, ranking(results, area=area))]
        if area.level == Area.Level.STREET:
            levels += [(c.name, rows) for c, rows in community_rankings(levels[0][1])]
        publication = publication_of(street=street, year=year)
        content = build_workbook(
            _sheets(levels),
            about=[
                (_("Export"), _("Annual evaluation results")),
                (_("Year"), year),
                (_("Area"), area.name),
                (
                    _("Published"),
                    publication.published_at if publication else _("not yet published"),
                ),
                (_("Exported by"), user.display_name),
                (_("Exported at"), timezone.now()),
                (_("Reason"), asked.reason),
                (_("Personal data"), _("Names only; no contact details.")),
            ],
        )
        filename = f"{year}{area.name}{_('Annual evaluation results')}.xlsx"
    rows = len(levels[0][1])
    with transaction.atomic():
        audit.record(
            action="export.evaluation",
            actor=user,
            area=area,
            data={
                "kind": "evaluation",
                "filters": asked.filters,
                "year": year,
                "rows": rows,
                "reason": asked.reason,
            },
        )
    return download(content, filename=filename, ascii_name=f"evaluation-{year}-{area.code}.xlsx")

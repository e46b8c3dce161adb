"""Writing .xlsx files for the exports of lists and evaluation results: headers in Chinese,
formatted and frozen, filters, column widths, and an "about" sheet saying what the file holds.

Text that a spreadsheet would read as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return; OWASP's "CSV injection") is written as a plain string cell with Excel's
quote prefix, so a resident's "=HYPERLINK(...)" stays the text they typed and never runs, not
even when a reader edits the cell: ``neutralise_formulas`` does it for every sheet written here
and for the KPI workbook.

Exports are built in the request for up to ``MAX_ROWS`` rows (a few seconds at most); a larger
selection is refused with a request to narrow the filters. Personal data is masked whatever
the reader's role: a file leaves the portal's logging, so full numbers never go into one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

MAX_ROWS = 5000
EXPORT_LANGUAGE = "zh-hans"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The house style of every exported workbook's header row (lists, evaluation, KPI reports).
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
_THIN = Side(style="thin", color="BFBFBF")
_HEADER_BORDER = Border(bottom=_THIN, top=_THIN, left=_THIN, right=_THIN)


@dataclass
class Sheet:
    """One worksheet: a title (≤ 31 characters), column headers and rows of plain values."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]] = field(default_factory=list)


def chinese():
    """Build headers and values in Chinese whatever the reader's language (``with chinese():``)."""
    return translation.override(EXPORT_LANGUAGE)


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, (date, Decimal, int, float)) or value is None:
        return value
    return str(value)


# A cell starting with one of these is a formula (or becomes one when edited) in Excel, WPS
# and LibreOffice.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise_formulas(ws) -> None:
    """Make every text cell of ``ws`` that a spreadsheet would evaluate a literal string.

    openpyxl stores any string starting with ``=`` as a formula; such cells become strings
    again, and every text cell starting with a trigger gets the quote prefix (Excel's leading
    apostrophe) so it is shown and kept as text. The text itself is not changed.
    """
    for row in ws.iter_rows():
        for cell in row:
            value = cell.value
            if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
                cell.data_type = "s"
                cell.quotePrefix = True


def sheet_title(title: str) -> str:
    """Excel refuses []:*?/\\ in sheet titles and more than 31 characters."""
    return "".join("_" if ch in "[]:*?/\\" else ch for ch in str(title))[:31] or "-"


def _write(ws, sheet: Sheet) -> None:
    ws.title = sheet_title(sheet.title)
    ws.append([str(h) for h in sheet.headers])
    widths = [max(8, len(str(h)) * 2 + 2) for h in sheet.headers]
    for row in sheet.rows:
        values = [_cell(v) for v in row]
        ws.append(values)
        for i, value in enumerate(values):
            if isinstance(value, str):
                widths[i] = min(max(widths[i], len(value) + 2), 60)
            elif isinstance(value, datetime):
                widths[i] = max(widths[i], 18)
    for i, cell in enumerate(ws[1], start=1):
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = HEADER_ALIGN
        cell.border = _HEADER_BORDER
        ws.column_dimensions[get_column_letter(i)].width = widths[i - 1]
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    neutralise_formulas(ws)
    ws.freeze_panes = "A2"
    if sheet.headers:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.headers))}{max(ws.max_row, 1)}"


def build_workbook(sheets: Sequence[Sheet], *, about: Sequence[tuple[str, Any]] = ()) -> bytes:
    """The .xlsx bytes of ``sheets``, with an "about" sheet of (label, value) lines last."""
    wb = Workbook()
    first = True
    for sheet in sheets:
        ws = wb.active if first else wb.create_sheet()
        first = False
        _write(ws, sheet)
    if about:
        ws = wb.create_sheet()
        ws.title = str(translation.gettext("About this file"))[:31]
        for label, value in about:
            ws.append([str(label), _cell(value)])
        ws.column_dimensions["A"].width = 20
        ws.column_dimensions["B"].width = 70
        for cell in ws["A"]:
            cell.font = Font(bold=True)
        neutralise_formulas(ws)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def xlsx_response(content: bytes, *, filename: str, ascii_name: str) -> HttpResponse:
    """A download of ``content``; ``filename`` may be Chinese, ``ascii_name`` is the fallback."""
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    response["Cache-Control"] = "no-store"
    return response


def too_many_rows(request, count: int, limit: int = MAX_ROWS):
    """The page that refuses an export of ``count`` rows, over ``limit``."""
    from django.shortcuts import render

    message = translation.gettext(
        "This selection has %(count)s rows; an export holds at most %(max)s. "
        "Narrow the filters and try again."
    ) % {"count": count, "max": limit}
    return render(request, "error.html", {"message": message, "code": "too_many_rows"}, status=400)


def filters_of(request) -> dict[str, str]:
    """The query-string filters of an export, as recorded in its audit event."""
    return {key: value for key, value in request.GET.items() if key != "page" and value}

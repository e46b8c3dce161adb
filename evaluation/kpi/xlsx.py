"""The KPI report as an .xlsx workbook: one sheet per level, headers in Chinese.

Call inside ``translation.override("zh-hans")`` so labels come out in Chinese whatever the
requester's language. Values are numbers (percentages as 0–100, hours as hours); an empty
cell means there was nothing to count.
"""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from evaluation.kpi.definitions import KPIS
from evaluation.selectors_kpi_report import KpiReport
from portal.xlsx import HEADER_ALIGN, HEADER_FILL, HEADER_FONT, neutralise_formulas, sheet_title

_MISSED_FONT = Font(color="C00000")
_MET_FONT = Font(color="2E7D32")


def _number(value: Decimal | None) -> float | None:
    # openpyxl writes Decimal as a number too, but float keeps Excel from showing "0.0000".
    return float(value) if value is not None else None


def headers() -> list[str]:
    columns = [_("Area"), _("Code")]
    for spec in KPIS:
        unit = str(spec.unit)
        columns.append(f"{spec.label}（{unit}）")
        if spec.has_target:
            columns.append(_("%(kpi)s target") % {"kpi": spec.label})
    return columns


def build_kpi_workbook(report: KpiReport) -> bytes:
    """The workbook bytes: a sheet per level (the area itself first), then "about"."""
    wb = Workbook()
    wb.remove(wb.active)
    for level in report.levels:
        ws = wb.create_sheet(sheet_title(level.label))
        ws.append(headers())
        for row in level.rows:
            values: list[object] = [row.area.name, row.area.code]
            fonts: list[Font | None] = [None, None]
            for figure in row.figures:
                values.append(_number(figure.value))
                fonts.append({True: _MET_FONT, False: _MISSED_FONT}.get(figure.meets))
                if figure.spec.has_target:
                    values.append(_number(figure.target))
                    fonts.append(None)
            ws.append(values)
            for cell, font in zip(ws[ws.max_row], fonts, strict=True):
                if font is not None:
                    cell.font = font
        for index, cell in enumerate(ws[1], start=1):
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            cell.alignment = HEADER_ALIGN
            ws.column_dimensions[get_column_letter(index)].width = 22 if index == 1 else 14
        ws.row_dimensions[1].height = 45
        ws.freeze_panes = "C2"
        neutralise_formulas(ws)

    about = wb.create_sheet(sheet_title(_("About this file")))
    generated = timezone.localtime(report.generated_at)
    lines = [
        (_("Report"), _("KPI report")),
        (_("Area"), " › ".join(a.name for a in report.trail) or report.area.name),
        (
            _("Reporting period"),
            f"{report.period.start.isoformat()} – {report.period.end.isoformat()}",
        ),
        (_("Generated at"), generated.strftime("%Y-%m-%d %H:%M")),
        (
            _("Note"),
            _(
                "Each figure is computed from the raw records of the communities below the "
                "area; green meets the target, red misses it."
            ),
        ),
    ]
    for label, value in lines:
        about.append([str(label), str(value)])
    neutralise_formulas(about)
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = 90
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()

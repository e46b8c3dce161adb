"""The KPI report of a period as a PDF (A4, reportlab): figures against targets, charts drawn
with reportlab.graphics (no browser), and the table of the areas below.

Call inside ``translation.override("zh-hans")``. Chinese text uses the built-in CID font
STSong-Light, as the service-hours certificate does (reporting/certificates_pdf.py).
"""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from evaluation.kpi.definitions import KPI_BY_CODE
from evaluation.selectors_kpi_report import KpiReport

FONT = "STSong-Light"
BLUE = colors.HexColor("#1F4E79")
GREEN = colors.HexColor("#2E7D32")
RED = colors.HexColor("#C00000")
# The KPIs charted by area and by month (the rest are in the tables).
CHARTED = (
    "need_response_rate",
    "closed_loop_rate",
    "resident_satisfaction",
    "member_participation",
)
CHART_WIDTH = 170 * mm

_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def _styles() -> dict[str, ParagraphStyle]:
    font = _font()
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=18, leading=26, alignment=1),
        "h2": ParagraphStyle("h2", fontName=font, fontSize=13, leading=20, spaceBefore=8),
        "body": ParagraphStyle("body", fontName=font, fontSize=10, leading=15),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=8.5, leading=11),
    }


def _esc(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fmt(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:f}"


def _table(rows: list[list[object]], widths: list[float], styles, status: list[str] | None = None):
    cells = [[Paragraph(_esc(v), styles["cell"]) for v in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1)
    commands = [
        ("BACKGROUND", (0, 0), (-1, 0), BLUE),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#BFBFBF")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    table.setStyle(TableStyle(commands))
    return table


def _bar_chart(title: str, labels: list[str], values: list[float], *, unit: str) -> Drawing:
    font = _font()
    drawing = Drawing(CHART_WIDTH, 62 * mm)
    drawing.add(String(0, 58 * mm, title, fontName=font, fontSize=10))
    chart = VerticalBarChart()
    chart.x, chart.y = 12 * mm, 14 * mm
    chart.width, chart.height = CHART_WIDTH - 16 * mm, 38 * mm
    chart.data = [values or [0]]
    chart.categoryAxis.categoryNames = labels or ["—"]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 30 if len(labels) > 6 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(labels) > 6 else "n"
    chart.valueAxis.valueMin = 0
    if unit == "%":
        chart.valueAxis.valueMax = 100
        chart.valueAxis.valueStep = 20
    chart.valueAxis.labels.fontSize = 7
    chart.bars[0].fillColor = BLUE
    drawing.add(chart)
    return drawing


def _line_chart(title: str, labels: list[str], series: list[list[float | None]], names: list[str]):
    """Percent lines by month, drawn by hand: months without a figure leave a gap."""
    font = _font()
    palette = [BLUE, GREEN, RED, colors.HexColor("#F9A825")]
    drawing = Drawing(CHART_WIDTH, 66 * mm)
    drawing.add(String(0, 62 * mm, title, fontName=font, fontSize=10))
    left, bottom = 12 * mm, 16 * mm
    width, height = CHART_WIDTH - 16 * mm, 40 * mm
    for step in range(0, 101, 20):
        y = bottom + height * step / 100
        drawing.add(Line(left, y, left + width, y, strokeColor=colors.HexColor("#DDDDDD")))
        drawing.add(String(left - 2 * mm, y - 2, str(step), fontSize=7, textAnchor="end"))
    count = max(len(labels), 1)

    def x_of(index: int) -> float:
        return left + width * (index + 0.5) / count

    for index, label in enumerate(labels):
        drawing.add(String(x_of(index), bottom - 5 * mm, label, fontSize=7, textAnchor="middle"))
    for number, values in enumerate(series):
        color = palette[number % len(palette)]
        run: list[float] = []
        for index, value in enumerate(values + [None]):
            if value is None:
                if len(run) >= 4:
                    drawing.add(PolyLine(run, strokeColor=color, strokeWidth=1.5))
                run = []
                continue
            x, y = x_of(index), bottom + height * min(max(value, 0), 100) / 100
            run.extend([x, y])
            drawing.add(Circle(x, y, 1.6, fillColor=color, strokeColor=color))
    for index, name in enumerate(names):
        x = index * (CHART_WIDTH / max(len(names), 1))
        color = palette[index % len(palette)]
        drawing.add(String(x, 2 * mm, f"— {name}", fontName=font, fontSize=8, fillColor=color))
    return drawing


def build_kpi_pdf(report: KpiReport) -> bytes:
    """The PDF bytes of ``report``."""
    styles = _styles()
    buffer = io.BytesIO()
    area_name = " › ".join(a.name for a in report.trail) or report.area.name
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=str(_("KPI report")),
        author="Baodao",
    )
    generated = timezone.localtime(report.generated_at).strftime("%Y-%m-%d %H:%M")
    story: list = [
        Paragraph(_esc(_("KPI report")) + " · " + _esc(report.area.name), styles["title"]),
        Paragraph(
            _esc(
                _("Area: %(area)s · Period: %(start)s – %(end)s · Generated: %(when)s")
                % {
                    "area": area_name,
                    "start": report.period.start.isoformat(),
                    "end": report.period.end.isoformat(),
                    "when": generated,
                }
            ),
            styles["body"],
        ),
        Spacer(1, 4 * mm),
        Paragraph(_esc(_("Figures against targets")), styles["h2"]),
    ]
    rows = [[_("KPI"), _("Value"), _("Target"), _("Previous period"), _("Status")]]
    for figure in report.figures:
        status = {True: _("Meets target"), False: _("Misses target")}.get(figure.meets, "—")
        unit = str(figure.spec.unit)
        rows.append(
            [
                figure.spec.label,
                f"{_fmt(figure.value)} {unit}" if figure.value is not None else "—",
                f"{_fmt(figure.target)} {unit}" if figure.target is not None else _("Reported"),
                f"{_fmt(figure.previous)} {unit}" if figure.previous is not None else "—",
                status,
            ]
        )
    story.append(_table(rows, [62 * mm, 25 * mm, 25 * mm, 30 * mm, 32 * mm], styles))

    children = report.children
    if children:
        story.append(PageBreak())
        story.append(Paragraph(_esc(_("By area below")), styles["h2"]))
        for code in CHARTED:
            spec = KPI_BY_CODE[code]
            labels = [row.area.name for row in children]
            values = [float(row.figure(code).value or 0) for row in children]
            story.append(
                KeepTogether(_bar_chart(str(spec.label), labels, values, unit=str(spec.unit)))
            )
        header = [_("Area")] + [KPI_BY_CODE[c].short for c in CHARTED]
        table_rows = [header] + [
            [row.area.name] + [_fmt(row.figure(c).value) for c in CHARTED] for row in children
        ]
        story.append(Spacer(1, 3 * mm))
        story.append(_table(table_rows, [54 * mm] + [30 * mm] * len(CHARTED), styles))

    story.append(PageBreak())
    story.append(Paragraph(_esc(_("Monthly trend")), styles["h2"]))
    months = [m.month.label[2:] for m in report.trend]
    series = [
        [float(m.values[c]) if m.values[c] is not None else None for m in report.trend]
        for c in CHARTED
    ]
    story.append(
        _line_chart(
            _("Monthly trend (%)"), months, series, [str(KPI_BY_CODE[c].short) for c in CHARTED]
        )
    )
    story.append(Spacer(1, 4 * mm))
    labels = [label for label, _count in report.distribution]
    counts = [float(count) for _label, count in report.distribution]
    story.append(
        _bar_chart(str(_("Response time distribution (needs accepted)")), labels, counts, unit="")
    )
    doc.build(story)
    return buffer.getvalue()

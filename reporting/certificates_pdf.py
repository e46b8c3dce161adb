"""The certificate of service hours as a PDF (A4, reportlab).

The certificate is an official document in Chinese whatever the UI language, so its labels
are fixed here. Chinese text uses reportlab's built-in CID font STSong-Light (the reader's
PDF viewer supplies the glyphs; nothing is downloaded or embedded); the verification code
and URL are set in Courier so they read unambiguously.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from reporting.models import Certificate, ServiceRecord

FONT = "STSong-Light"
MONO = "Courier"
TITLE = "志愿服务时长证明"

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
        "title": ParagraphStyle("title", fontName=font, fontSize=22, leading=30, alignment=1),
        "body": ParagraphStyle("body", fontName=font, fontSize=12, leading=20),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=9.5, leading=13),
        "small": ParagraphStyle("small", fontName=font, fontSize=10, leading=16),
        "mono": ParagraphStyle("mono", fontName=MONO, fontSize=10, leading=16),
    }


def _esc(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _hours(value) -> str:
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:.2f}"


def build_certificate_pdf(
    *, certificate: Certificate, records: Iterable[ServiceRecord], verify_url: str
) -> bytes:
    """The certificate with its records, issue date, verification code and URL."""
    styles = _styles()
    member = certificate.member
    name = member.user.display_name
    period = f"{certificate.period_start:%Y年%m月%d日} 至 {certificate.period_end:%Y年%m月%d日}"
    issued = timezone.localtime(certificate.issued_at)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=TITLE,
        subject=f"Verification code {certificate.verification_code}",
        author="Baodao",
    )
    story = [
        Paragraph(TITLE, styles["title"]),
        Spacer(1, 8 * mm),
        Paragraph(
            f"兹证明 <b>{_esc(name)}</b> 同志于 {period} 期间参加志愿服务，"
            f"累计服务时长 <b>{_hours(certificate.hours)}</b> 小时。",
            styles["body"],
        ),
        Spacer(1, 6 * mm),
    ]
    rows = [[Paragraph(h, styles["cell"]) for h in ("日期", "活动 / 组织", "地点", "时长（小时）")]]
    for record in records:
        activity = record.activity.title if record.activity_id else ""
        what = " / ".join(part for part in (activity, record.organisation) if part)
        if record.corrects_id:
            what += "（更正）"
        rows.append(
            [
                Paragraph(f"{record.service_date:%Y-%m-%d}", styles["cell"]),
                Paragraph(_esc(what), styles["cell"]),
                Paragraph(_esc(record.place), styles["cell"]),
                Paragraph(_hours(record.hours), styles["cell"]),
            ]
        )
    rows.append(
        [
            Paragraph("合计", styles["cell"]),
            "",
            "",
            Paragraph(_hours(certificate.hours), styles["cell"]),
        ]
    )
    table = Table(rows, colWidths=[26 * mm, 74 * mm, 46 * mm, 24 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("SPAN", (0, -1), (2, -1)),
            ]
        )
    )
    story += [
        table,
        Spacer(1, 8 * mm),
        Paragraph(f"出具日期：{issued:%Y年%m月%d日}", styles["body"]),
        Spacer(1, 4 * mm),
        Paragraph("验证码（可在以下网址核验本证明）：", styles["small"]),
        Paragraph(_esc(certificate.verification_code), styles["mono"]),
        Paragraph(_esc(verify_url), styles["mono"]),
    ]
    doc.build(story)
    return buffer.getvalue()

"""Script and formula payloads in exported files stay inert: every workbook writer leaves no
formula a resident typed (OWASP CSV injection), and every PDF builder escapes reportlab's
paragraph markup so a name like ``<font size=100>`` is printed, not obeyed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import QuerySet
from django.utils import translation

from evaluation.kpi.pdf import build_kpi_pdf
from evaluation.kpi.periods import month_of
from evaluation.kpi.xlsx import build_kpi_workbook
from evaluation.selectors_kpi_report import kpi_report
from evaluation.services.kpi import rollup_kpis
from portal.models import Role
from portal.xlsx import Sheet, build_workbook, chinese
from reporting.certificates_pdf import build_certificate_pdf
from reporting.models import Certificate
from resources.models import Need, Resource
from resources.selectors import project_list_for
from resources.views import exports
from tests.factories import (
    NeedFactory,
    ProjectFactory,
    ResourceFactory,
    make_party_member,
    make_service_record,
    user_with_role,
)
from tests.security.xss import (
    PAYLOADS,
    REPORTLAB,
    SCRIPT,
    SPREADSHEET,
    pdf_text,
    xlsx_problems,
    xlsx_strings,
)

HYPERLINK = SPREADSHEET[0]


def _workbook_of(sheets_of, qs: QuerySet) -> bytes:
    with chinese():
        return build_workbook(sheets_of(qs), about=[("Filters", "q=" + HYPERLINK)])


def test_the_shared_writer_keeps_every_payload_literal_and_writes_no_formula():
    rows = [[payload, f"{payload} tail", 1] for payload in PAYLOADS]
    content = build_workbook(
        [Sheet("payloads", ["text", "more", "n"], rows)], about=[("Filters", HYPERLINK)]
    )

    assert xlsx_problems(content) == []
    strings = xlsx_strings(content)
    for payload in PAYLOADS:
        assert payload in strings  # the text is kept as typed, not rewritten
    assert HYPERLINK in strings  # the about sheet too


def test_without_neutralising_openpyxl_would_write_a_formula():
    # Proves the check above can fail: openpyxl turns "=..." into a formula by default.
    from io import BytesIO

    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append([HYPERLINK])
    buffer = BytesIO()
    wb.save(buffer)
    assert xlsx_problems(buffer.getvalue())


@pytest.mark.django_db
def test_the_needs_export_keeps_payload_titles_as_text(tree):
    for payload in PAYLOADS:
        NeedFactory(community=tree["a"], title=payload, requester_name=payload)

    content = _workbook_of(exports._need_sheets, Need.objects.all())

    assert xlsx_problems(content) == []
    strings = xlsx_strings(content)
    for payload in PAYLOADS:
        assert payload in strings


@pytest.mark.django_db
def test_the_resources_export_keeps_payload_names_as_text(tree):
    for payload in PAYLOADS:
        ResourceFactory(area=tree["a"], name=payload, provider_name=payload)

    content = _workbook_of(exports._resource_sheets, Resource.objects.all())

    assert xlsx_problems(content) == []
    strings = xlsx_strings(content)
    for payload in PAYLOADS:
        assert payload in strings


@pytest.mark.django_db
def test_the_projects_export_keeps_payload_titles_as_text(tree, worker):
    for payload in PAYLOADS:
        ProjectFactory(area=tree["a"], owner=worker, title=payload)

    content = _workbook_of(exports._project_sheets, project_list_for(worker))

    assert xlsx_problems(content) == []
    strings = xlsx_strings(content)
    for payload in PAYLOADS:
        assert payload in strings


@pytest.fixture
def kpi_world(tree):
    """Community A and street 1 carry payload names; a few needs give the KPIs figures."""
    day = date(2026, 3, 10)
    tree["a"].name = HYPERLINK
    tree["a"].save(update_fields=["name"])
    tree["c"].name = "<b>" + REPORTLAB[0] + SCRIPT
    tree["c"].save(update_fields=["name"])
    NeedFactory(community=tree["a"])
    rollup_kpis(day=day)
    official = user_with_role(Role.DISTRICT_OFFICIAL, tree["district"], username="official")
    return tree, official, day


def _kpi_report(tree, official, day):
    return kpi_report(user=official, area=tree["street1"], period=month_of(day), today=day)


@pytest.mark.django_db
def test_the_kpi_workbook_keeps_payload_area_names_as_text(kpi_world):
    tree, official, day = kpi_world
    with translation.override("zh-hans"):
        content = build_kpi_workbook(_kpi_report(tree, official, day))

    assert xlsx_problems(content) == []
    strings = xlsx_strings(content)
    assert HYPERLINK in strings
    assert tree["c"].name in strings


@pytest.mark.django_db
def test_the_kpi_pdf_prints_payload_area_names_literally(kpi_world):
    tree, official, day = kpi_world
    with translation.override("zh-hans"):
        content = build_kpi_pdf(_kpi_report(tree, official, day))

    text = pdf_text(content)
    assert content.startswith(b"%PDF")
    assert tree["c"].name in text  # "<b><font size=100><script>…" drawn as text


@pytest.mark.django_db
def test_the_certificate_pdf_prints_payload_names_and_places_literally(tree):
    name = "<b>unbalanced<font size=100><para>"
    member = make_party_member(tree["a"], real_name=name)
    record = make_service_record(member)
    record.place = SCRIPT
    record.organisation = "=1+1 <para>&amp;"
    certificate = Certificate.objects.create(
        member=member,
        period_start=date(2020, 1, 1),
        period_end=date(2035, 1, 1),
        hours=Decimal(record.hours),
        verification_code="XSSCHECK01",
    )

    content = build_certificate_pdf(
        certificate=certificate, records=[record], verify_url="https://x.example/<b>v"
    )

    text = pdf_text(content)
    assert name in text
    assert SCRIPT in text
    assert "=1+1 <para>&amp;" in text
    assert "https://x.example/<b>v" in text

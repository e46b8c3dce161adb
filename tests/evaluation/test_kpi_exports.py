"""KPI exports: xlsx (one sheet per level, Chinese headers) and PDF, built as tasks, scoped,
audited, downloaded only by their requester."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from evaluation.models import Export
from evaluation.services.kpi import rollup_kpis
from evaluation.services.kpi_exports import build_kpi_export
from portal.models import Area, AuditEvent, Role, RoleAssignment
from tests.evaluation.kpi_world import D, build_community_a, build_other_communities
from tests.factories import AreaFactory, user_with_role

MARCH = {"period": "month", "at": D.isoformat()}


@pytest.fixture(autouse=True)
def _eager_and_isolated(settings, tmp_path):
    settings.LANGUAGE_CODE = "en"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MEDIA_ROOT = tmp_path


REASON = "Quarterly review with the district"


@pytest.fixture
def world(tree):
    build_community_a(tree["a"])
    build_other_communities(tree["b"], tree["c"])
    rollup_kpis(day=D)
    return tree


@pytest.fixture
def official(tree):
    return user_with_role(Role.DISTRICT_OFFICIAL, tree["district"], username="official")


@pytest.fixture
def export_of(client, django_capture_on_commit_callbacks):
    def request(area, fmt, **period):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("evaluation:kpi_export", args=[area.code]),
                {**MARCH, **period, "format": fmt, "reason": REASON},
            )
        assert response.status_code == 302, response.content
        return Export.objects.latest("pk"), response

    return request


def download(client, export) -> bytes:
    response = client.get(reverse("evaluation:kpi_export_download", args=[export.pk]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_the_xlsx_has_one_sheet_per_level_with_chinese_headers(client, world, official, export_of):
    client.force_login(official)
    export, _response = export_of(world["district"], "xlsx")

    book = load_workbook(BytesIO(download(client, export)))

    assert book.sheetnames == ["区", "街道", "社区", "说明"]
    assert book["区"]["A1"].value == "区域"
    assert book["区"]["C1"].value.startswith("需求响应率")
    assert [row[0].value for row in book["社区"].iter_rows(min_row=2)] == [
        "Community A",
        "Community C",
        "Community B",
    ]


def test_the_xlsx_figures_match_the_page(client, world, official, export_of):
    client.force_login(official)
    export, _response = export_of(world["street1"], "xlsx")

    sheet = load_workbook(BytesIO(download(client, export)))["街道"]
    headers = [cell.value for cell in sheet[1]]
    row = [cell.value for cell in sheet[2]]

    # Street 1 = A (2 of 4) + C (2 of 3) accepted in time on D.
    assert row[headers.index("需求响应率（%）")] == pytest.approx(57.1)
    assert row[headers.index("需求响应率目标")] == 95


def test_the_pdf_opens_and_has_pages(client, world, official, export_of):
    client.force_login(official)
    export, _response = export_of(world["district"], "pdf")

    content = download(client, export)

    assert content.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", content)) >= 2


def test_a_community_report_has_no_table_of_areas_below(client, world, official, export_of):
    client.force_login(official)
    export, _response = export_of(world["a"], "pdf")

    assert download(client, export).startswith(b"%PDF")
    assert load_workbook(
        BytesIO(download(client, export_of(world["a"], "xlsx")[0]))
    ).sheetnames == [
        "社区",
        "说明",
    ]


def test_an_export_is_built_by_the_task_and_reports_its_progress(
    client, world, official, export_of
):
    client.force_login(official)
    export, response = export_of(world["street1"], "xlsx")

    page = client.get(response["Location"])
    export.refresh_from_db()

    assert (export.status, export.progress) == ("done", 100)
    assert export.file.name.startswith("exports/")
    assert reverse("evaluation:kpi_export_download", args=[export.pk]) in page.content.decode()


def test_the_status_panel_polls_until_the_file_is_ready(client, world, official):
    pending = Export.objects.create(
        kind="kpi_xlsx", area=world["district"], requested_by=official, params={}
    )
    client.force_login(official)

    panel = client.get(
        reverse("evaluation:kpi_export_status", args=[pending.pk]), headers={"HX-Request": "true"}
    ).content.decode()

    assert 'hx-trigger="every 2s"' in panel
    assert "<progress" in panel


def test_a_file_that_is_not_ready_cannot_be_downloaded(client, world, official):
    pending = Export.objects.create(
        kind="kpi_xlsx", area=world["district"], requested_by=official, params={}
    )
    client.force_login(official)

    response = client.get(reverse("evaluation:kpi_export_download", args=[pending.pk]))

    assert response.status_code == 409


def test_requests_builds_and_downloads_are_audited(client, world, official, export_of):
    client.force_login(official)
    export, _response = export_of(world["street1"], "pdf")
    download(client, export)

    actions = list(
        AuditEvent.objects.filter(object_id=str(export.pk), action__startswith="kpi.").values_list(
            "action", flat=True
        )
    )

    assert sorted(actions) == ["kpi.export_downloaded", "kpi.export_requested", "kpi.exported"]


def test_an_official_of_another_district_cannot_export_by_url(client, world):
    district = AreaFactory(level=Area.Level.DISTRICT, parent=world["city"])
    outsider = user_with_role(Role.DISTRICT_OFFICIAL, district)
    client.force_login(outsider)

    response = client.post(
        reverse("evaluation:kpi_export", args=[world["district"].code]),
        {**MARCH, "format": "xlsx", "reason": REASON},
    )

    assert response.status_code == 404
    assert not Export.objects.exists()


def test_nobody_but_the_requester_reaches_an_export(client, world, official, export_of):
    client.force_login(official)
    export, _response = export_of(world["district"], "xlsx")
    colleague = user_with_role(Role.DISTRICT_OFFICIAL, world["district"])
    client.force_login(colleague)

    for name in ("evaluation:kpi_export_status", "evaluation:kpi_export_download"):
        assert client.get(reverse(name, args=[export.pk])).status_code == 404


def test_a_requester_who_lost_the_area_can_no_longer_download(client, world, official, export_of):
    client.force_login(official)
    export, _response = export_of(world["district"], "xlsx")
    RoleAssignment.objects.filter(user=official).update(area=world["street2"])
    official.refresh_from_db()
    client.force_login(official)

    response = client.get(reverse("evaluation:kpi_export_download", args=[export.pk]))

    assert response.status_code == 404


def test_an_export_whose_requester_lost_access_before_the_build_fails(world, official):
    export = Export.objects.create(
        kind="kpi_xlsx",
        area=world["district"],
        requested_by=official,
        params={"period": "month", "start": "2026-03-01", "end": "2026-03-31"},
    )
    RoleAssignment.objects.filter(user=official).delete()

    assert build_kpi_export(export_id=export.pk) == "failed"
    export.refresh_from_db()
    assert export.status == "failed" and not export.file


def test_building_a_finished_export_again_changes_nothing(client, world, official, export_of):
    client.force_login(official)
    export, _response = export_of(world["street1"], "xlsx")
    name = export.file.name

    assert build_kpi_export(export_id=export.pk) == "done"
    export.refresh_from_db()
    assert export.file.name == name


def test_an_unknown_format_is_refused(client, world, official):
    client.force_login(official)

    response = client.post(
        reverse("evaluation:kpi_export", args=[world["district"].code]),
        {**MARCH, "format": "doc", "reason": REASON},
    )

    assert response.status_code == 400
    assert not Export.objects.exists()

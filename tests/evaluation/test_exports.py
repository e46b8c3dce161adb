"""Exports to .xlsx: the three lists with the page's filters and the evaluation results.
Each opens with openpyxl, is scoped like its page, masks phones, and is audited."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.http import QueryDict
from django.urls import reverse
from openpyxl import load_workbook

from evaluation.services.annual import compute_evaluation
from portal.models import AuditEvent, Role
from resources.models import Need, Project
from tests.evaluation.annual_world import YEAR, build
from tests.factories import (
    AreaFactory,
    BudgetLineFactory,
    NeedFactory,
    ProjectFactory,
    ResourceFactory,
    UserFactory,
    user_with_role,
)

PHONE = "13812345678"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def workbook(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    return load_workbook(BytesIO(response.content))


REASON = "Monthly report to the street office"


def export(client, name: str, query: str = "", reason: str = REASON):
    """Confirm an export as its reason page does: the list's filters and a reason, posted."""
    return client.post(reverse(name), {**QueryDict(query).dict(), "reason": reason})


def rows(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture
def second_district(tree):
    """District 2 → street 3 → community D, outside the first district's reach."""
    district2 = AreaFactory(level=2, parent=tree["city"], name="District 2")
    street3 = AreaFactory(level=3, parent=district2, name="Street 3")
    return {"district2": district2, "street3": street3, "d": AreaFactory(level=4, parent=street3)}


@pytest.fixture
def official(tree):
    return user_with_role(Role.DISTRICT_OFFICIAL, tree["district"], username="official_a")


# -- needs --------------------------------------------------------------------------------------


def test_the_needs_export_opens_with_chinese_headers_and_masked_phones(client, tree, worker):
    NeedFactory(community=tree["a"], requester_phone=PHONE, title="助餐")
    client.force_login(worker)

    book = workbook(export(client, "resources:need_export"))

    sheet = book.worksheets[0]
    header, line = rows(sheet)[:2]
    assert header[:2] == ["查询编号", "标题"]
    assert line[header.index("诉求人手机号")] == "138****5678"
    assert PHONE not in str(rows(sheet))
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold


def test_the_needs_export_carries_the_pages_filters(client, tree, worker):
    NeedFactory(community=tree["a"], title="助餐", status=Need.Status.SUBMITTED)
    NeedFactory(community=tree["a"], title="修灯", status=Need.Status.REJECTED, close_reason="x")
    client.force_login(worker)

    book = workbook(export(client, "resources:need_export", "status=submitted"))

    titles = [row[1] for row in rows(book.worksheets[0])[1:]]
    assert titles == ["助餐"]


def test_the_needs_export_has_a_sheet_per_community(client, tree, street_officer):
    NeedFactory(community=tree["a"])
    NeedFactory(community=tree["c"])
    NeedFactory(community=tree["c"])
    client.force_login(street_officer)

    book = workbook(export(client, "resources:need_export"))

    summary = rows(book.worksheets[1])[1:]
    assert [(name, total) for name, total, *_rest in summary] == [
        ("Community A", 1),
        ("Community C", 2),
    ]


def test_the_needs_export_is_audited_with_its_filters(client, tree, worker):
    client.force_login(worker)

    export(client, "resources:need_export", "status=submitted&page=3")

    event = AuditEvent.objects.get(action="export.needs")
    assert event.actor == worker
    assert event.data["filters"] == {"status": "submitted"}
    assert event.data["masked"] is True


def test_an_official_of_district_a_cannot_export_district_bs_needs(
    client, tree, official, second_district
):
    NeedFactory(community=tree["a"], title="ours")
    NeedFactory(community=second_district["d"], title="theirs")
    client.force_login(official)

    everything = rows(workbook(export(client, "resources:need_export")).worksheets[0])
    by_url = rows(
        workbook(
            export(client, "resources:need_export", f"community={second_district['d'].pk}")
        ).worksheets[0]
    )

    assert [row[1] for row in everything[1:]] == ["ours"]
    assert [row[1] for row in by_url[1:]] == ["ours"]  # an out-of-reach filter is ignored


def test_members_can_read_the_needs_list_but_not_export_it(client, tree):
    NeedFactory(community=tree["a"])
    client.force_login(user_with_role(Role.MEMBER, tree["a"]))

    assert client.get(reverse("resources:need_list")).status_code == 200
    assert client.get(reverse("resources:need_export")).status_code == 403
    assert not AuditEvent.objects.filter(action="export.needs").exists()


def test_the_needs_export_masks_requesters_names(client, tree, worker):
    NeedFactory(community=tree["a"], requester_name="王建国")
    client.force_login(worker)

    book = workbook(export(client, "resources:need_export"))

    header, line = rows(book.worksheets[0])[:2]
    assert "王建国" not in str(rows(book.worksheets[0]))
    assert "王**" in line


def test_someone_who_cannot_view_needs_cannot_export_them(client, tree):
    client.force_login(user_with_role(Role.AUDITOR, tree["city"]))

    assert client.get(reverse("resources:need_export")).status_code == 403
    assert not AuditEvent.objects.filter(action="export.needs").exists()


def test_an_export_over_the_row_limit_is_refused(client, tree, worker, monkeypatch):
    monkeypatch.setattr("resources.views.exports.MAX_ROWS", 2)
    for _ in range(3):
        NeedFactory(community=tree["a"])
    client.force_login(worker)

    response = export(client, "resources:need_export")

    assert response.status_code == 400
    assert "at most 2" in response.content.decode()


def test_the_needs_export_costs_a_fixed_number_of_queries(
    client, tree, worker, django_assert_max_num_queries
):
    for _ in range(20):
        NeedFactory(community=tree["a"], grid=tree["grid_a"])
    client.force_login(worker)

    with django_assert_max_num_queries(18):
        export(client, "resources:need_export")


# -- resources and projects ---------------------------------------------------------------------


def test_the_resource_export_masks_contact_phones_and_is_scoped(client, tree, worker):
    ResourceFactory(area=tree["a"], name="会议室", contact_phone="13900001111")
    ResourceFactory(area=tree["b"], name="别人的")
    client.force_login(worker)

    book = workbook(export(client, "resources:resource_export"))

    lines = rows(book.worksheets[0])
    assert [line[0] for line in lines[1:]] == ["会议室"]
    assert "139****1111" in lines[1] and "13900001111" not in str(lines)
    assert AuditEvent.objects.filter(action="export.resources", actor=worker).exists()


def test_the_resource_export_costs_a_fixed_number_of_queries(
    client, tree, worker, django_assert_max_num_queries
):
    for _ in range(15):
        ResourceFactory(area=tree["a"])
    client.force_login(worker)

    with django_assert_max_num_queries(18):
        export(client, "resources:resource_export")


def test_the_project_export_sums_budgets_and_spending(client, tree, worker):
    project = ProjectFactory(area=tree["a"], owner=UserFactory(), title="加装扶手")
    BudgetLineFactory(project=project, amount=1000, spent=300)
    BudgetLineFactory(project=project, amount=500, spent=0)
    client.force_login(worker)

    lines = rows(workbook(export(client, "resources:project_export")).worksheets[0])

    header, line = lines[0], lines[1]
    assert line[0] == "加装扶手"
    assert line[6] == 1500  # itemised
    assert line[8] == 1650  # with the 10% contingency
    assert line[9] == 300  # spent
    assert len(header) == len(line)


def test_the_project_export_costs_a_fixed_number_of_queries(
    client, tree, worker, django_assert_max_num_queries
):
    owner = UserFactory()
    for _ in range(10):
        BudgetLineFactory(project=ProjectFactory(area=tree["a"], owner=owner))
    client.force_login(worker)

    with django_assert_max_num_queries(18):
        response = export(client, "resources:project_export")

    assert len(rows(workbook(response).worksheets[0])) == 11
    assert Project.objects.count() == 10


def test_the_list_pages_link_to_their_export_with_the_filters(client, tree, worker):
    client.force_login(worker)

    page = client.get(reverse("resources:need_list") + "?status=submitted").content.decode()

    assert reverse("resources:need_export") + "?status=submitted" in page


# -- evaluation results -------------------------------------------------------------------------


@pytest.fixture
def evaluated(tree):
    world = build(tree)
    compute_evaluation(year=YEAR, area=tree["street1"])
    return world


def test_the_evaluation_export_has_a_sheet_per_level_and_the_two_lists(
    client, tree, evaluated, street_officer
):
    client.force_login(street_officer)

    book = workbook(
        export(client, "evaluation:evaluation_export", f"year={YEAR}&area={tree['street1'].code}")
    )

    assert book.sheetnames == ["Street 1", "Community A", "Community C", "红榜", "黑榜", "说明"]
    street = rows(book["Street 1"])
    assert street[0][0] == "排名"
    assert [line[2] for line in street[1:]] == ["王一", "李二", "张三", "区图书馆"]
    assert [line[2] for line in rows(book["红榜"])[1:]] == ["王一", "区图书馆"]
    assert AuditEvent.objects.filter(action="export.evaluation", actor=street_officer).exists()


def test_the_evaluation_export_of_another_street_is_not_found(client, tree, evaluated):
    client.force_login(user_with_role(Role.STREET_OFFICER, tree["street2"]))

    response = export(
        client, "evaluation:evaluation_export", f"year={YEAR}&area={tree['street1'].code}"
    )

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="export.evaluation").exists()


def test_members_cannot_export_evaluation_results(client, tree, evaluated):
    client.force_login(evaluated.m1.user)

    response = client.get(reverse("evaluation:evaluation_export") + f"?year={YEAR}")

    assert response.status_code == 403


def test_the_evaluation_export_costs_a_fixed_number_of_queries(
    client, tree, evaluated, street_officer, django_assert_max_num_queries
):
    client.force_login(street_officer)

    with django_assert_max_num_queries(18):
        export(client, "evaluation:evaluation_export", f"year={YEAR}&area={tree['street1'].code}")

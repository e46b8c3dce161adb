"""Excel import of members, units and resources: dry run, all-or-nothing, scoping, template."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.models import AuditEvent, Role, RoleAssignment, User
from reporting.importing import COLUMNS, run_import
from reporting.models import PartyMember, ResidentUnit, uscc_check_character
from resources.models import Resource
from tests.factories import UserFactory, category, user_with_role

UPLOAD_URL = reverse("reporting:import_upload")
MEMBER_HEADERS = ["姓名", "手机号", "党组织", "工作单位", "社区编码"]
UNIT_HEADERS = ["单位名称", "单位类型", "统一社会信用代码", "地址", "社区编码", "联系人手机号"]
RESOURCE_HEADERS = ["名称", "类型", "层级", "提供方类型", "提供方", "服务类别", "容量", "社区编码"]


@pytest.fixture(autouse=True)
def english(settings):
    # Assertions read the English msgids; the default UI language is Chinese.
    settings.LANGUAGE_CODE = "en"


def credit(first17: str) -> str:
    return first17 + uscc_check_character(first17)


def workbook(headers, rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, *, kind="members", dry_run=True, name="名单.xlsx"):
    data = {"kind": kind, "file": SimpleUploadedFile(name, content)}
    if dry_run:
        data["dry_run"] = "on"
    return client.post(UPLOAD_URL, data)


@pytest.fixture
def malformed_units(tree):
    """Row 2 fine, row 3 bad credit code, row 4 unknown community."""
    return workbook(
        UNIT_HEADERS,
        [
            ["甲公司", "民营企业", credit("91310101MA1FL0001"), "一号路", tree["a"].code, None],
            ["乙医院", "医院", "91310101MA1FL00019", "二号路", tree["a"].code, None],
            ["丙学校", "学校", credit("91310101MA1FL0003"), "三号路", "999999", None],
        ],
    )


@pytest.fixture
def malformed_members(tree):
    """Row 3 repeats row 2's phone, row 4 has a bad phone, row 5 a registered phone."""
    UserFactory(phone="13900000009", username="someone")
    a = tree["a"].code
    return workbook(
        MEMBER_HEADERS,
        [
            ["张三", "13800000001", "甲支部", "甲公司", a],
            ["李四", "13800000001", "甲支部", "", a],
            ["王五", "1380000", "甲支部", "", a],
            ["赵六", "13900000009", "甲支部", "", a],
            ["孙七", 13800000002, "", "", a],
        ],
    )


def test_dry_run_lists_each_row_column_and_message_and_writes_nothing(
    client, worker, malformed_members
):
    client.force_login(worker)
    users_before = User.objects.count()

    response = upload(client, malformed_members)

    assert response.status_code == 400
    report = response.context["report"]
    found = {(e.row, e.column) for e in report.errors}
    assert found == {(3, "手机号"), (4, "手机号"), (5, "手机号"), (6, "党组织")}
    messages = {e.row: e.message for e in report.errors}
    assert "also on row 2" in messages[3]
    assert "11-digit" in messages[4]
    assert "already registered" in messages[5]
    assert "required" in messages[6]
    assert report.valid == 1
    body = response.content.decode()
    assert "Dry run: nothing was saved." in body
    assert "already registered" in body
    assert User.objects.count() == users_before
    assert not PartyMember.objects.exists()


def test_dry_run_reports_bad_credit_code_and_unknown_community(client, worker, malformed_units):
    client.force_login(worker)

    response = upload(client, malformed_units, kind="units")

    assert response.status_code == 400
    errors = response.context["report"].errors
    assert [(e.row, e.column) for e in errors] == [(3, "统一社会信用代码"), (4, "社区编码")]
    assert "check character" in errors[0].message
    assert errors[1].message == "Unknown community code."
    assert not ResidentUnit.objects.exists()


def test_real_run_of_a_malformed_file_writes_nothing(client, worker, malformed_units):
    client.force_login(worker)
    events_before = AuditEvent.objects.count()

    response = upload(client, malformed_units, kind="units", dry_run=False)

    assert response.status_code == 400
    assert "Nothing was imported" in response.content.decode()
    assert not ResidentUnit.objects.exists()
    assert AuditEvent.objects.count() == events_before


def test_dry_run_of_a_good_file_counts_rows_and_writes_nothing(client, worker, tree):
    client.force_login(worker)
    content = workbook(MEMBER_HEADERS, [["张三", "13800000001", "甲支部", "", tree["a"].code]])

    response = upload(client, content)

    assert response.status_code == 200
    assert response.context["report"].valid == 1
    assert "1 row would be created" in response.content.decode()
    assert not PartyMember.objects.exists()


def test_good_member_file_imports_every_row_with_one_audit_event(client, worker, tree):
    client.force_login(worker)
    rows = [
        ["张三", "13800000001", "甲支部", "甲公司", tree["a"].code],
        [None, None, None, None, None],  # blank rows are skipped
        ["李四", 13800000002, "乙支部", "", tree["a"].code],
    ]

    response = upload(client, workbook(MEMBER_HEADERS, rows), dry_run=False, name="../名单 1.xlsx")

    assert response.status_code == 302
    members = PartyMember.objects.select_related("user").order_by("id")
    assert [(m.user.real_name, m.user.phone, m.home_community) for m in members] == [
        ("张三", "13800000001", tree["a"]),
        ("李四", "13800000002", tree["a"]),
    ]
    user = members[0].user
    assert user.username == "13800000001"
    assert not user.has_usable_password()
    assert RoleAssignment.objects.filter(user=user, role=Role.MEMBER, area=tree["a"]).exists()
    event = AuditEvent.objects.get(action="roster.imported")
    assert event.data["kind"] == "members"
    assert event.data["created"] == 2
    assert event.data["rows"] == 2
    assert "/" not in event.data["file_name"] and ".." not in event.data["file_name"]
    assert event.area == tree["a"]
    assert AuditEvent.objects.count() == 1


def test_good_unit_file_imports_and_gives_the_contact_the_unit_admin_role(client, worker, tree):
    contact = UserFactory(phone="13700000001")
    client.force_login(worker)
    rows = [
        [
            "甲公司",
            "民营企业",
            credit("91310101MA1FL0001"),
            "一号路",
            tree["a"].code,
            "13700000001",
        ],
        ["乙医院", "hospital", credit("91310101MA1FL0002").lower(), "二号路", tree["a"].code, ""],
    ]

    response = upload(client, workbook(UNIT_HEADERS, rows), kind="units", dry_run=False)

    assert response.status_code == 302
    units = list(ResidentUnit.objects.order_by("name"))
    assert [(u.name, u.unit_type, u.contact) for u in units] == [
        ("乙医院", "hospital", None),
        ("甲公司", "private_company", contact),
    ]
    assert units[0].credit_code == credit("91310101MA1FL0002")
    assert RoleAssignment.objects.filter(
        user=contact, role=Role.UNIT_ADMIN, area=tree["a"]
    ).exists()


def test_unit_with_unknown_type_or_contact_is_refused(worker, tree):
    rows = [
        ["甲公司", "小卖部", credit("91310101MA1FL0001"), "一号路", tree["a"].code, "13700000009"]
    ]

    report = run_import(
        by=worker, kind="units", file_name="x.xlsx", content=workbook(UNIT_HEADERS, rows)
    )

    assert [e.column for e in report.errors] == ["单位类型", "联系人手机号"]
    assert "民营企业" in report.errors[0].message


def test_good_resource_file_creates_resources_through_the_service(worker, tree):
    elderly, culture = category("elderly_care"), category("culture")
    culture.name = "文化体育"
    culture.save()
    rows = [
        [
            "活动室",
            "场地",
            "基础类",
            "驻区单位",
            "甲公司",
            "文化体育，elderly_care",
            30,
            tree["a"].code,
        ],
        ["义诊队", "志愿服务队", "", "在职党员", "李医生", "elderly_care", None, tree["a"].code],
    ]

    report = run_import(
        by=worker,
        kind="resources",
        file_name="r.xlsx",
        content=workbook(RESOURCE_HEADERS, rows),
        dry_run=False,
    )

    assert report.ok and report.created == 2
    room = Resource.objects.get(name="活动室")
    assert (room.kind, room.tier, room.provider_type, room.capacity) == (
        "venue",
        "base",
        "unit",
        30,
    )
    assert set(room.categories.all()) == {elderly, culture}
    assert Resource.objects.get(name="义诊队").capacity == 1
    assert AuditEvent.objects.filter(action="roster.imported").count() == 1


def test_resource_with_unknown_category_is_refused(worker, tree):
    category("elderly_care")
    rows = [["活动室", "场地", "", "社区", "社区", "elderly_care, 火星", 0, tree["a"].code]]

    report = run_import(
        by=worker, kind="resources", file_name="r.xlsx", content=workbook(RESOURCE_HEADERS, rows)
    )

    assert [(e.column, e.message) for e in report.errors] == [
        ("服务类别", "Unknown category: 火星"),
        ("容量", "Enter a whole number of at least 1."),
    ]


def test_worker_of_b_cannot_import_into_a(client, worker_b, tree):
    client.force_login(worker_b)
    content = workbook(MEMBER_HEADERS, [["张三", "13800000001", "甲支部", "", tree["a"].code]])

    response = upload(client, content, dry_run=False)

    assert response.status_code == 400
    [error] = response.context["report"].errors
    assert (error.row, error.column) == (2, "社区编码")
    assert error.message == "Community outside your area."
    assert not PartyMember.objects.exists()


def test_a_file_that_is_not_a_workbook_is_refused_by_its_content(client, worker):
    client.force_login(worker)

    response = upload(client, "name,phone\n张三,13800000001\n".encode(), name="fake.xlsx")

    assert response.status_code == 400
    assert "not an Excel workbook" in response.content.decode()


def test_a_workbook_without_the_headers_is_refused(client, worker):
    client.force_login(worker)

    response = upload(client, workbook(["name", "phone"], [["张三", "13800000001"]]))

    assert response.status_code == 400
    assert "Columns missing" in response.content.decode()


def test_a_file_over_2_mb_is_refused(client, worker):
    client.force_login(worker)

    response = upload(client, b"PK\x03\x04" + b"0" * (2 * 1024 * 1024 + 1))

    assert response.status_code == 400
    assert "larger than 2 MB" in response.content.decode()


def test_upload_page_renders_with_dry_run_ticked(client, worker):
    client.force_login(worker)

    response = client.get(UPLOAD_URL)

    assert response.status_code == 200
    assert response.context["form"]["dry_run"].value() is True


@pytest.mark.parametrize("role", [Role.MEMBER, Role.STREET_OFFICER, Role.GRID_WORKER])
def test_roles_without_roster_change_get_403(client, tree, role):
    client.force_login(
        user_with_role(role, tree["a"] if role != Role.STREET_OFFICER else tree["street1"])
    )

    assert client.get(UPLOAD_URL).status_code == 403
    assert client.get(reverse("reporting:import_template", args=["members"])).status_code == 403


def test_anonymous_is_sent_to_sign_in(client, tree):
    assert client.get(UPLOAD_URL).status_code == 302


@pytest.mark.parametrize("kind", ["members", "units", "resources"])
def test_template_opens_as_xlsx_with_the_chinese_headers(client, worker, tree, kind):
    client.force_login(worker)

    response = client.get(reverse("reporting:import_template", args=[kind]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [c.header for c in COLUMNS[kind]]
    assert len(rows) == 2
    assert tree["a"].code in rows[1]


def test_template_example_row_passes_a_dry_run(client, worker, tree):
    client.force_login(worker)
    content = client.get(reverse("reporting:import_template", args=["units"])).content

    report = run_import(by=worker, kind="units", file_name="t.xlsx", content=content)

    assert report.ok and report.valid == 1


def test_unknown_template_kind_is_404(client, worker):
    client.force_login(worker)

    assert client.get(reverse("reporting:import_template", args=["cats"])).status_code == 404


def test_dry_run_queries_do_not_grow_with_rows(client, worker, tree, django_assert_max_num_queries):
    client.force_login(worker)
    rows = [[f"成员{i}", f"138{i:08d}", "甲支部", "", tree["a"].code] for i in range(40)]
    content = workbook(MEMBER_HEADERS, rows)

    with django_assert_max_num_queries(12):
        response = upload(client, content)

    assert response.context["report"].valid == 40

"""KPI dashboards in a real browser: a district official signs in, drills down from the district
to a street and a community, and downloads the KPI table (.xlsx) and the KPI report (PDF) of
that community; both files open."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from evaluation.services.kpi import rollup_kpis
from portal.models import Role
from tests.evaluation.kpi_world import D, build_community_a, build_other_communities
from tests.factories import make_tree, user_with_role
from tests.two_factor import current_code, give_device

PASSWORD = "correct-horse-battery"
NAMES = {
    "district": "湖滨区",
    "street1": "柳浪街道",
    "street2": "望湖街道",
    "a": "翠苑社区",
    "b": "春晖社区",
    "c": "柳莺社区",
}


@pytest.fixture
def setting(transactional_db, settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MEDIA_ROOT = tmp_path
    tree = make_tree()
    for key, name in NAMES.items():
        tree[key].name = name
        tree[key].save()
    build_community_a(tree["a"])
    build_other_communities(tree["b"], tree["c"])
    for day in (D.replace(day=1), D):
        rollup_kpis(day=day)
    official = user_with_role(
        Role.DISTRICT_OFFICIAL, tree["district"], username="official", real_name="赵区长"
    )
    # District officials sign in with a second factor: an authenticator with a known key.
    tree["device"] = give_device(official)
    return tree


def sign_in(page, username: str, device) -> None:
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form.stack button[type=submit]").click()
    # Then the code the authenticator app would show.
    page.wait_for_url("**/account/2fa/verify/**")
    page.fill("input[name=token]", current_code(device))
    page.locator("#two-factor-verify form.stack button[type=submit]").click()


def download(page, button_id: str):
    """Ask for an export, give the reason, wait on the progress page for the file, download it."""
    page.locator(f"#{button_id}").click()
    page.locator("#id_reason").fill("Monthly report to the district office")
    page.locator("form.export-reason button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/kpi/exports/\d+/$"))
    link = page.locator("#export-download")
    link.wait_for()
    with page.expect_download() as info:
        link.click()
    return info.value


def test_district_official_drills_down_and_downloads_the_reports(setting, page, screenshot):
    # March up to D, the last day rolled up (stock KPIs read their last day).
    page.goto(f"{page.base_url}/kpi/?period=custom&from={D.replace(day=1)}&to={D}")
    sign_in(page, "official", setting["device"])

    page.wait_for_url("**/kpi/**")
    page.locator("h1", has_text=NAMES["district"]).wait_for()
    page.locator("[data-chart=bar] canvas").wait_for()
    assert page.locator(".kpi-tile").count() == 13
    screenshot(page, "official-kpi-district")

    page.locator("#drilldown a", has_text=NAMES["street1"]).click()
    page.locator("h1", has_text=NAMES["street1"]).wait_for()
    page.locator("#drilldown a", has_text=NAMES["a"]).click()
    page.locator("h1", has_text=NAMES["a"]).wait_for()
    assert page.locator(".breadcrumbs li").all_inner_texts() == [
        NAMES["district"],
        NAMES["street1"],
        NAMES["a"],
    ]
    screenshot(page, "official-kpi-community")
    community_url = page.url

    xlsx = download(page, "export-xlsx")
    screenshot(page, "official-kpi-export")
    assert xlsx.suggested_filename.endswith(".xlsx")
    book = load_workbook(BytesIO(Path(xlsx.path()).read_bytes()))
    assert book.sheetnames[0] == "社区"
    assert book["社区"]["A2"].value == NAMES["a"]

    page.goto(community_url)
    pdf = download(page, "export-pdf")
    content = Path(pdf.path()).read_bytes()
    assert content.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", content)) >= 1
    assert pdf.suggested_filename.endswith(".pdf")

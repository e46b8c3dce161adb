"""The first turn of the loop in a real browser: a resident submits and tracks a need on a
phone; a community worker signs in, sees it on the dashboard and accepts it."""

import pytest

from portal.models import Role, Setting
from resources.models import Need, NeedCategory
from tests.factories import make_tree, user_with_role

PASSWORD = "correct-horse-battery"


@pytest.fixture
def community_a(transactional_db):
    tree = make_tree()
    tree["a"].name = "翠苑社区"
    tree["a"].save()
    NeedCategory.objects.get_or_create(code="meal_assistance", defaults={"name": "助餐"})
    # A 4-hour response clock for this community puts a fresh need among "due soon".
    Setting.objects.create(key="need.response_hours", area=tree["a"], value=4)
    user_with_role(Role.COMMUNITY_WORKER, tree["a"], username="worker", real_name="王社工")
    return tree["a"]


def test_resident_submits_and_tracks_and_worker_accepts(community_a, mobile_page, page, screenshot):
    resident = mobile_page
    resident.goto(f"{resident.base_url}/needs/new/")
    resident.select_option("select[name=community]", str(community_a.pk))
    category = NeedCategory.objects.get(code="meal_assistance")
    resident.select_option("select[name=category]", str(category.pk))
    resident.fill("input[name=title]", "独居老人需要送餐上门")
    resident.fill("textarea[name=description]", "母亲腿脚不便，工作日午餐需要送到家。")
    resident.select_option("select[name=target_group]", "elderly_alone")
    resident.fill("input[name=requester_name]", "张女士")
    resident.fill("input[name=requester_phone]", "13812345678")
    screenshot(resident, "resident-need-form-mobile")
    resident.locator("form.stack button[type=submit]").click()

    number = resident.locator("#tracking-number").inner_text().strip()
    assert number.startswith("BD")
    need = Need.objects.get(tracking_number=number)
    assert need.status == Need.Status.SUBMITTED and need.channel == "online"
    screenshot(resident, "resident-need-submitted-mobile")

    resident.goto(f"{resident.base_url}/track/")
    resident.fill("input[name=tracking_number]", number)
    resident.fill("input[name=phone_last4]", "5678")
    resident.locator("form button[type=submit]").last.click()
    assert resident.locator(".badge.submitted").first.is_visible()
    assert "13812345678" not in resident.content()
    screenshot(resident, "resident-track-mobile")

    worker = page
    worker.goto(f"{worker.base_url}/accounts/login/")
    worker.fill("input[name=username]", "worker")
    worker.fill("input[name=password]", PASSWORD)
    worker.locator("form.stack button[type=submit]").click()
    worker.wait_for_url("**/staff/")
    row_link = worker.locator(f"a:has-text('{number}')").first
    assert row_link.is_visible()
    screenshot(worker, "worker-dashboard")

    row_link.click()
    worker.wait_for_url(f"**/staff/needs/{need.pk}/")
    assert "138****5678" in worker.content()
    screenshot(worker, "worker-need-detail")
    worker.locator(f"form[action$='/staff/needs/{need.pk}/act/accept/'] button").click()
    worker.wait_for_url(f"**/staff/needs/{need.pk}/")
    assert worker.locator("h1 .badge.accepted").is_visible()

    need.refresh_from_db()
    assert need.status == Need.Status.ACCEPTED and need.accepted_at is not None

    resident.goto(f"{resident.base_url}/track/?number={number}")
    resident.fill("input[name=phone_last4]", "5678")
    resident.locator("form button[type=submit]").last.click()
    assert resident.locator(".badge.accepted").first.is_visible()


def test_elderly_mode_uses_large_type(community_a, mobile_page, screenshot):
    mobile_page.goto(f"{mobile_page.base_url}/needs/new/?mode=elderly")
    size = mobile_page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert size >= 22
    assert "elderly" in mobile_page.locator("body").get_attribute("class")
    screenshot(mobile_page, "resident-need-form-elderly-mobile")

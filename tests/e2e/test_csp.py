"""The Content-Security-Policy in a real browser: the main pages of several roles (public
forms, a worker's dashboard and needs, a street officer's KPI charts, a member's check-in page,
the API docs and the admin) load and work with no `securitypolicyviolation` event and no CSP
error in the console. The policy is the one every environment sends (portal/settings.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from evaluation.services.kpi import rollup_kpis
from portal.models import Role
from reporting import tokens
from reporting.models import Activity, PartyMember
from reporting.services.checkin import grant_location_consent
from tests.evaluation.kpi_world import D, build_community_a, build_other_communities
from tests.factories import NeedFactory, UserFactory, make_tree, user_with_role

# Registered before any page script runs (through the DevTools protocol, so the policy does
# not apply to it): every violation the page reports is kept for the test to read.
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(
    e.effectiveDirective + " blocked " + (e.blockedURI || "inline") + " at " +
    (e.sourceFile || document.location.pathname) + ":" + e.lineNumber
  );
});
"""
CSP_CONSOLE_MARKERS = ("Content Security Policy", "Content-Security-Policy")


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MEDIA_ROOT = tmp_path
    tree = make_tree()
    build_community_a(tree["a"])
    build_other_communities(tree["b"], tree["c"])
    for day in (D.replace(day=1), D):
        rollup_kpis(day=day)

    worker = user_with_role(Role.COMMUNITY_WORKER, tree["a"])
    officer = user_with_role(Role.STREET_OFFICER, tree["street1"])
    admin = UserFactory(is_staff=True, is_superuser=True)
    member_user = user_with_role(Role.MEMBER, tree["a"], phone="13912345678")
    PartyMember.objects.create(
        user=member_user, party_organisation="第一党支部", home_community=tree["a"]
    )
    now = timezone.now()
    grant_location_consent(user=member_user, now=now)
    # Under way, with a geofence: the check-in page loads the location script.
    activity = Activity.objects.create(
        community=tree["a"],
        organiser=worker,
        title="敬老院陪伴",
        venue="翠苑社区养老服务站",
        starts_at=now - timedelta(minutes=10),
        ends_at=now + timedelta(hours=1),
        capacity=20,
        geofence_latitude=30.2741,
        geofence_longitude=120.1551,
        geofence_radius_m=500,
    )
    need = NeedFactory(community=tree["a"], grid=tree["grid_a"])
    return {
        "worker": worker,
        "officer": officer,
        "admin": admin,
        "member": member_user,
        "activity": activity,
        "need": need,
    }


@pytest.fixture
def watched(browser, live_server):
    """A browser context that records CSP violations, and signs users in by session cookie."""
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 1280, "height": 900},
        geolocation={"latitude": 30.2741, "longitude": 120.1551},
        permissions=["geolocation"],
    )
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(15_000)
    console_errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            console_errors.append(message.text)
            if any(marker in message.text for marker in CSP_CONSOLE_MARKERS)
            else None
        ),
    )

    def sign_in_as(user) -> None:
        # A session made by the test client (with the second factor verified for accounts that
        # need it, see tests/conftest.py): sign-in itself is covered by the other e2e tests.
        context.clear_cookies()
        client = Client()
        client.force_login(user)
        cookie = client.cookies["sessionid"].value
        context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])

    def visit(path: str, *, ready: str = "main, body") -> None:
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        assert "Content-Security-Policy" in response.headers or (
            "content-security-policy" in response.headers
        ), path
        page.locator(ready).first.wait_for()
        page.wait_for_load_state("networkidle")
        violations = page.evaluate("window.__cspViolations")
        assert violations == [], (path, violations)
        assert console_errors == [], (path, console_errors)

    page.sign_in_as = sign_in_as
    page.visit = visit
    page.console_errors = console_errors
    yield page
    context.close()


def test_public_pages_run_under_the_policy(world, watched):
    watched.visit("/accounts/login/", ready="form.stack")
    watched.visit("/needs/new/", ready="form.stack")
    watched.visit("/needs/new/?mode=elderly", ready="form.stack")
    watched.visit("/track/", ready="form")


def test_the_api_docs_render_swagger_ui_under_the_policy(world, watched):
    watched.visit("/api/v1/docs/", ready=".swagger-ui .info .title")

    # The set-up script ran (it is served from a URL, not inline): operations are listed.
    assert watched.locator(".swagger-ui .opblock").count() > 10


def test_a_workers_pages_and_htmx_run_under_the_policy(world, watched):
    watched.sign_in_as(world["worker"])
    watched.visit("/staff/", ready="main h1")
    watched.visit("/staff/needs/", ready="main table, main .empty")
    watched.visit(f"/staff/needs/{world['need'].pk}/", ready="main h1")

    # htmx loaded and configured itself without injecting its indicator <style>.
    assert watched.evaluate("window.htmx && htmx.config.includeIndicatorStyles") is False
    watched.visit("/notifications/", ready="main h1")


def test_kpi_charts_and_their_tooltips_run_under_the_policy(world, watched):
    watched.sign_in_as(world["officer"])
    watched.visit(
        f"/kpi/?period=custom&from={D.replace(day=1)}&to={D}", ready="[data-chart=bar] canvas"
    )

    # Show a chart's tooltip (what hovering a bar does); it must not need inline styles.
    render_mode = watched.evaluate(
        """() => {
          const chart = echarts.getInstanceByDom(document.querySelector("[data-chart=bar]"));
          chart.dispatchAction({type: "showTip", seriesIndex: 0, dataIndex: 0});
          return chart.getOption().tooltip[0].renderMode;
        }"""
    )
    watched.wait_for_timeout(300)
    assert render_mode == "richText"
    assert watched.evaluate("window.__cspViolations") == []
    assert watched.console_errors == []


def test_the_check_in_page_fills_the_location_under_the_policy(world, watched):
    watched.sign_in_as(world["member"])
    url = tokens.checkin_url(world["activity"], timezone.now())
    watched.visit(url, ready="button[name=action][value=in]")

    # The location script (a static file) ran and filled the hidden fields.
    watched.wait_for_function("document.getElementById('lat').value !== ''")
    assert watched.input_value("#lat") == "30.2741"
    assert watched.input_value("#lng") == "120.1551"


def test_the_admin_runs_under_the_policy(world, watched):
    watched.sign_in_as(world["admin"])
    watched.visit("/admin/", ready="#content-main")
    watched.visit("/admin/portal/user/", ready="#changelist")
    watched.visit("/admin/portal/user/add/", ready="form")


def test_the_watcher_reports_what_the_policy_blocks(world, watched):
    # The other tests pass on an empty list: prove a blocked inline style and script land in it.
    watched.visit("/accounts/login/", ready="form.stack")
    watched.evaluate(
        """() => {
          document.body.insertAdjacentHTML("beforeend", '<p style="color: red">x</p>');
          const script = document.createElement("script");
          script.textContent = "window.__ran = true";
          document.body.appendChild(script);
        }"""
    )
    watched.wait_for_function("window.__cspViolations.length >= 2")

    blocked = " ".join(watched.evaluate("window.__cspViolations"))
    assert "style-src-attr" in blocked
    assert "script-src-elem" in blocked
    assert watched.evaluate("window.__ran === undefined")


def test_the_account_pages_run_under_the_policy(world, watched):
    watched.sign_in_as(world["member"])
    watched.visit("/account/security/", ready="main h1")
    # The set-up page draws its QR code as inline SVG: no style attribute may come with it.
    watched.visit("/account/2fa/setup/", ready="main svg")
    watched.visit("/account/data/", ready="main h1")
    watched.visit("/account/erasure/", ready="main h1")

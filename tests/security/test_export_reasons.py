"""Every export asks why: the export link opens a page carrying the list's filters and asking
for a reason; only its POST (CSRF-protected, with a reason of 4+ characters) produces the file
or starts the build, and the audit event records who, what (kind, filters, rows) and why."""

import pytest
from django.test import Client
from django.urls import reverse

from evaluation.models import Export
from evaluation.services.annual import compute_evaluation
from portal.models import AuditEvent, Role
from tests.evaluation.annual_world import YEAR, build
from tests.factories import (
    NeedFactory,
    ProjectFactory,
    ResourceFactory,
    UserFactory,
    user_with_role,
)

REASON = "Monthly report to the street office"
MARCH = {"period": "custom", "from": "2026-03-01", "to": "2026-03-31"}
LISTS = [
    ("resources:need_export", "export.needs"),
    ("resources:resource_export", "export.resources"),
    ("resources:project_export", "export.projects"),
]


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def filled(tree):
    NeedFactory(community=tree["a"], status="submitted")
    ResourceFactory(area=tree["a"])
    ProjectFactory(area=tree["a"], owner=UserFactory())
    return tree


def exports_audited():
    return AuditEvent.objects.filter(action__startswith="export.")


@pytest.mark.parametrize(("name", "_action"), LISTS)
def test_the_export_link_opens_a_reason_page_with_the_filters_and_no_file(
    client, filled, worker, name, _action
):
    client.force_login(worker)

    response = client.get(reverse(name) + "?status=submitted&q=%22%3E%3Cscript%3E&page=2")

    body = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert '<input type="hidden" name="status" value="submitted">' in body
    assert 'value="&quot;&gt;&lt;script&gt;"' in body and '"><script>' not in body
    assert 'name="page"' not in body
    assert 'name="reason"' in body and "csrfmiddlewaretoken" in body
    assert not exports_audited().exists()


@pytest.mark.parametrize(("name", "_action"), LISTS)
@pytest.mark.parametrize("reason", ["", "   ", "abc", " ab "])
def test_no_file_without_a_reason_of_four_characters(client, filled, worker, name, _action, reason):
    client.force_login(worker)

    response = client.post(reverse(name), {"status": "submitted", "reason": reason})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "Say why you are exporting this data." in body or "at least 4 characters" in body
    assert '<input type="hidden" name="status" value="submitted">' in body
    assert not exports_audited().exists()


@pytest.mark.parametrize(("name", "action"), LISTS)
def test_the_file_comes_with_an_audit_event_saying_who_what_and_why(
    client, filled, worker, name, action
):
    client.force_login(worker)

    response = client.post(reverse(name), {"status": "submitted", "reason": f"  {REASON} "})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    event = AuditEvent.objects.get(action=action)
    assert event.actor == worker
    assert event.data["reason"] == REASON
    assert event.data["kind"] == action.removeprefix("export.")
    assert event.data["filters"] == {"status": "submitted"}
    assert event.data["rows"] == 1


@pytest.mark.parametrize(("name", "_action"), LISTS)
def test_the_confirming_post_needs_the_csrf_token(filled, worker, name, _action):
    client = Client(enforce_csrf_checks=True)
    client.force_login(worker)

    response = client.post(reverse(name), {"reason": REASON})

    assert response.status_code == 403
    assert not exports_audited().exists()


def test_the_list_pages_link_to_the_reason_page_not_to_a_download(client, filled, worker):
    client.force_login(worker)

    for page, export in [
        ("resources:need_list", "resources:need_export"),
        ("resources:resource_list", "resources:resource_export"),
        ("resources:project_list", "resources:project_export"),
    ]:
        body = client.get(reverse(page) + "?status=submitted").content.decode()
        link = f'href="{reverse(export)}?status=submitted"'
        assert link in body
        assert f"{link} download" not in body


# -- evaluation results -------------------------------------------------------------------------


@pytest.fixture
def evaluated(tree):
    world = build(tree)
    compute_evaluation(year=YEAR, area=tree["street1"])
    return world


def test_the_evaluation_export_asks_why_and_records_it(client, tree, evaluated, street_officer):
    client.force_login(street_officer)
    url = reverse("evaluation:evaluation_export")
    query = {"year": YEAR, "area": tree["street1"].code}

    page = client.get(url, query)
    refused = client.post(url, {**query, "reason": ""})
    assert not exports_audited().exists()
    done = client.post(url, {**query, "reason": REASON})

    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    assert f'<input type="hidden" name="area" value="{tree["street1"].code}">' in (
        page.content.decode()
    )
    assert refused.status_code == 400
    assert done.status_code == 200
    event = AuditEvent.objects.get(action="export.evaluation")
    assert event.data["reason"] == REASON
    assert event.data["filters"] == {"year": str(YEAR), "area": tree["street1"].code}


def test_the_results_page_links_to_the_reason_page(client, tree, evaluated, street_officer):
    client.force_login(street_officer)

    body = client.get(
        reverse("evaluation:results"), {"year": YEAR, "area": tree["street1"].code}
    ).content.decode()

    link = f'href="{reverse("evaluation:evaluation_export")}?year={YEAR}&amp;area={tree["street1"].code}"'
    assert link in body and f"{link} download" not in body


# -- KPI reports (built in the background) ------------------------------------------------------


@pytest.fixture
def official(tree):
    return user_with_role(Role.DISTRICT_OFFICIAL, tree["district"], username="official")


def test_a_kpi_report_is_queued_only_with_a_reason(
    client, tree, official, django_capture_on_commit_callbacks
):
    client.force_login(official)
    url = reverse("evaluation:kpi_export", args=[tree["district"].code])

    page = client.get(url, {**MARCH, "format": "xlsx"})
    refused = client.post(url, {**MARCH, "format": "xlsx", "reason": "ok"})
    assert not Export.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        queued = client.post(url, {**MARCH, "format": "xlsx", "reason": REASON})

    body = page.content.decode()
    assert page.status_code == 200
    assert '<input type="hidden" name="format" value="xlsx">' in body
    assert '<input type="hidden" name="from" value="2026-03-01">' in body
    assert refused.status_code == 400
    assert queued.status_code == 302
    export = Export.objects.get()
    event = AuditEvent.objects.get(action="kpi.export_requested")
    assert event.actor == official and event.data["reason"] == REASON
    assert event.data["start"] == "2026-03-01" and event.data["kind"] == export.kind


def test_the_kpi_dashboard_export_buttons_open_the_reason_page(client, tree, official):
    client.force_login(official)

    body = client.get(reverse("evaluation:kpi_area", args=[tree["district"].code])).content.decode()

    action = reverse("evaluation:kpi_export", args=[tree["district"].code])
    assert f'<form method="get" action="{action}">' in body


def test_an_out_of_reach_kpi_area_is_not_found_before_any_reason_is_asked(client, tree):
    client.force_login(user_with_role(Role.STREET_OFFICER, tree["street2"]))
    url = reverse("evaluation:kpi_export", args=[tree["street1"].code])

    assert client.get(url, {**MARCH, "format": "xlsx"}).status_code == 404
    assert client.post(url, {**MARCH, "format": "xlsx", "reason": REASON}).status_code == 404
    assert not Export.objects.exists()

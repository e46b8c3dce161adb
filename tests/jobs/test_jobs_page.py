"""/staff/jobs/: who sees which runs, and running matching on demand."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEvent, JobRun, Role
from resources.models import Match
from tests.factories import NeedFactory, ResourceFactory, category, user_with_role

URL = reverse("job_runs")


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def _run(area, job="matching", **kwargs):
    now = timezone.now()
    values = {"status": JobRun.Status.SUCCEEDED, "finished_at": now, "started_at": now}
    values.update(kwargs)
    return JobRun.objects.create(job=job, area=area, run_key=str(now.timestamp()), **values)


def test_street_officers_see_when_matching_last_ran_for_their_street(
    client, tree, street_officer, django_assert_max_num_queries
):
    mine = _run(tree["street1"], counts={"proposals": 7})
    _run(tree["street2"])
    _run(None, job="points")
    client.force_login(street_officer)
    with django_assert_max_num_queries(12):
        response = client.get(URL)
    assert [run.pk for run in response.context["page_obj"]] == [mine.pk]
    (street,) = response.context["streets"]
    assert street == tree["street1"] and street.last_success == mine.finished_at
    assert "proposals: 7" in response.content.decode()


def test_city_admins_also_see_whole_city_runs(client, tree):
    admin = user_with_role(Role.CITY_ADMIN, tree["city"])
    points = _run(None, job="points")
    client.force_login(admin)
    assert points in client.get(URL).context["page_obj"]


def test_failed_runs_show_their_error_and_filter(client, tree, street_officer):
    _run(tree["street1"], status=JobRun.Status.FAILED, error="RuntimeError: solver")
    _run(tree["street1"])
    client.force_login(street_officer)
    response = client.get(URL, {"status": "failed"})
    assert len(response.context["page_obj"]) == 1
    assert "RuntimeError: solver" in response.content.decode()


def test_members_cannot_see_jobs(client, tree):
    member = user_with_role(Role.MEMBER, tree["a"])
    client.force_login(member)
    assert client.get(URL).status_code == 403


def test_a_worker_runs_matching_for_their_community_now(
    client, tree, worker, django_capture_on_commit_callbacks
):
    meals = category("meals")
    NeedFactory(community=tree["a"], category=meals)
    ResourceFactory(area=tree["a"], categories=[meals])
    client.force_login(worker)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"area": tree["a"].pk})
    assert response.status_code == 302
    run = JobRun.objects.get(job="matching")
    assert (run.area, run.trigger, run.requested_by) == (tree["a"], "on_demand", worker)
    assert run.status == JobRun.Status.SUCCEEDED
    assert Match.objects.count() == 1
    assert AuditEvent.objects.filter(action="job.requested").count() == 1


def test_asking_again_within_minutes_is_refused_with_a_message(client, tree, worker):
    _run(tree["a"], started_at=timezone.now() - timedelta(minutes=1))
    client.force_login(worker)
    response = client.post(URL, {"area": tree["a"].pk})
    assert response.status_code == 400
    assert "try again in a few minutes" in response.content.decode()


def test_a_worker_cannot_run_matching_for_another_community(client, tree, worker):
    client.force_login(worker)
    response = client.post(URL, {"area": tree["b"].pk})
    assert response.status_code == 400
    assert not JobRun.objects.exists()


def test_district_officials_see_runs_but_cannot_start_them(client, tree):
    official = user_with_role(Role.DISTRICT_OFFICIAL, tree["district"])
    client.force_login(official)
    response = client.get(URL)
    assert response.status_code == 200 and response.context["form"] is None
    assert client.post(URL, {"area": tree["a"].pk}).status_code == 403

"""The Celery tasks, run eagerly: fan-out per street, one unit of work per key, retries."""

from unittest import mock

import pytest
from celery.exceptions import Retry

from portal.models import JobRun
from resources import tasks
from resources.models import Match
from tests.factories import NeedFactory, ResourceFactory, category


@pytest.fixture
def street_with_work(tree):
    meals = category("meals")
    NeedFactory(community=tree["a"], category=meals)
    ResourceFactory(area=tree["a"], categories=[meals])
    return tree


def test_nightly_matching_runs_once_per_street(street_with_work):
    assert tasks.match_all_streets.delay(run_key="2026-11-26").get() == 2
    runs = JobRun.objects.filter(job="matching", run_key="2026-11-26")
    assert runs.count() == 2 and all(run.status == "succeeded" for run in runs)
    assert Match.objects.count() == 1


def test_the_same_night_twice_changes_nothing(street_with_work):
    tasks.match_all_streets.delay(run_key="2026-11-26")
    first = list(Match.objects.values_list("pk", "proposed_at"))
    tasks.match_all_streets.delay(run_key="2026-11-26")
    assert list(Match.objects.values_list("pk", "proposed_at")) == first
    assert JobRun.objects.filter(job="matching").count() == 2
    assert all(run.attempts == 1 for run in JobRun.objects.all())


def test_a_failing_run_is_recorded_and_retried_later_on_the_same_record(street_with_work):
    street = street_with_work["street1"].pk
    with mock.patch("resources.services.matching.run_matching", side_effect=RuntimeError("boom")):
        with pytest.raises(Retry):
            tasks.match_area.apply(args=[street], kwargs={"run_key": "k"}, throw=True)
    run = JobRun.objects.get()
    assert run.status == JobRun.Status.FAILED and "boom" in run.error
    tasks.match_area.apply(args=[street], kwargs={"run_key": "k"}, throw=True)
    run.refresh_from_db()
    assert (run.status, run.attempts, run.error) == (JobRun.Status.SUCCEEDED, 2, "")
    assert Match.objects.count() == 1


def test_a_domain_error_is_not_retried(street_with_work):
    from portal.errors import InvalidInput

    street = street_with_work["street1"].pk
    with mock.patch("resources.services.matching.run_matching", side_effect=InvalidInput("bad")):
        with pytest.raises(InvalidInput):
            tasks.match_area.apply(args=[street], kwargs={"run_key": "k"}, throw=True)
    assert JobRun.objects.get().status == JobRun.Status.FAILED


def test_the_task_base_acknowledges_late_and_backs_off():
    task = tasks.match_area
    assert task.acks_late and task.reject_on_worker_lost
    assert task.retry_backoff and task.max_retries >= 3


def test_the_response_clock_task_escalates_once_per_quarter_hour(tree):
    from datetime import timedelta

    from django.utils import timezone

    from resources.models import Need

    submitted = timezone.now() - timedelta(hours=30)
    need = NeedFactory(
        community=tree["a"], submitted_at=submitted, due_at=submitted + timedelta(hours=24)
    )
    first = tasks.response_clock.delay(run_key="2026-11-26T10:15").get()
    assert tasks.response_clock.delay(run_key="2026-11-26T10:15").get() is None
    run = JobRun.objects.get(pk=first)
    assert run.job == "response_clock" and run.counts["street"] == 1
    assert Need.objects.get(pk=need.pk).escalation_level == 1

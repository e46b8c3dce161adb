"""portal.jobs.run_job: one unit of work is done once, failures are recorded and re-raised."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.jobs import STALE_AFTER, local_day_key, run_job, slot_key
from portal.models import JobRun


def _work(counts):
    calls = []

    def work(run):
        calls.append(run.pk)
        return counts

    return work, calls


def test_a_unit_of_work_is_recorded_with_its_counts(db, tree):
    work, calls = _work({"proposals": 3})
    run = run_job(job="matching", area=tree["street1"], run_key="2026-11-26", work=work)
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.counts == {"proposals": 3}
    assert run.finished_at is not None and run.duration_seconds >= 0
    assert calls == [run.pk]


def test_a_second_run_of_the_same_unit_does_nothing(db, tree):
    work, calls = _work({"n": 1})
    first = run_job(job="matching", area=tree["street1"], run_key="k", work=work)
    second = run_job(job="matching", area=tree["street1"], run_key="k", work=work)
    assert second is None
    assert calls == [first.pk]
    assert JobRun.objects.count() == 1


def test_global_units_are_unique_too(db):
    work, calls = _work({})
    run_job(job="points", run_key="2026-11-26", work=work)
    assert run_job(job="points", run_key="2026-11-26", work=work) is None
    assert len(calls) == 1


def test_other_areas_and_keys_are_other_units(db, tree):
    work, calls = _work({})
    run_job(job="matching", area=tree["street1"], run_key="k", work=work)
    run_job(job="matching", area=tree["street2"], run_key="k", work=work)
    run_job(job="matching", area=tree["street1"], run_key="k2", work=work)
    assert len(calls) == 3


def test_a_failure_is_recorded_and_raised_then_a_retry_runs_again(db, tree):
    def broken(run):
        raise RuntimeError("solver unavailable")

    with pytest.raises(RuntimeError):
        run_job(job="matching", area=tree["street1"], run_key="k", work=broken)
    run = JobRun.objects.get()
    assert run.status == JobRun.Status.FAILED
    assert "solver unavailable" in run.error
    assert run.finished_at is not None

    work, calls = _work({"ok": 1})
    retried = run_job(job="matching", area=tree["street1"], run_key="k", work=work)
    assert retried.pk == run.pk
    assert retried.status == JobRun.Status.SUCCEEDED
    assert retried.attempts == 2
    assert retried.error == ""


def test_a_unit_running_elsewhere_is_left_alone(db, tree):
    JobRun.objects.create(
        job="matching", area=tree["street1"], run_key="k", task_id="t1", started_at=timezone.now()
    )
    work, calls = _work({})
    assert (
        run_job(job="matching", area=tree["street1"], run_key="k", task_id="t2", work=work) is None
    )
    assert calls == []


def test_a_redelivered_task_takes_over_its_own_unfinished_run(db, tree):
    # acks_late: the worker died mid-run, the broker delivers the same task id again.
    JobRun.objects.create(
        job="matching", area=tree["street1"], run_key="k", task_id="t1", started_at=timezone.now()
    )
    work, calls = _work({"n": 2})
    run = run_job(job="matching", area=tree["street1"], run_key="k", task_id="t1", work=work)
    assert run.status == JobRun.Status.SUCCEEDED and run.attempts == 2
    assert len(calls) == 1


def test_a_stale_running_unit_is_taken_over(db, tree):
    JobRun.objects.create(
        job="matching",
        area=tree["street1"],
        run_key="k",
        task_id="dead",
        started_at=timezone.now() - STALE_AFTER - timedelta(minutes=1),
    )
    work, calls = _work({})
    assert run_job(job="matching", area=tree["street1"], run_key="k", task_id="new", work=work)
    assert len(calls) == 1


def test_run_keys_name_the_local_day_and_the_quarter_hour():
    moment = timezone.make_aware(timezone.datetime(2026, 11, 26, 23, 52, 10))
    assert local_day_key(moment) == "2026-11-26"
    assert slot_key(moment) == "2026-11-26T23:45"

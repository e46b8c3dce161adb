"""Job runs: one record per unit of background work, and the Celery task base that keeps them.

A unit of work is (job, area, run_key). ``run_job`` makes it idempotent: a unit that already
succeeded is not done again, a unit left "running" by a worker that died is taken over when the
broker delivers it again (``acks_late``), and a failure is recorded with its error before the
task is retried with backoff. Operators see the records at /staff/jobs/ and in the admin.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery.contrib.django.task import DjangoTask
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.errors import DomainError
from portal.models import Area, JobRun, User

logger = logging.getLogger("baodao.jobs")

# A run still "running" after this long was left behind by a worker that died.
STALE_AFTER = timedelta(minutes=30)

Work = Callable[[JobRun], dict[str, Any]]


def _claim(
    *,
    job: str,
    area: Area | None,
    run_key: str,
    trigger: str,
    task_id: str,
    requested_by: User | None,
) -> JobRun | None:
    """Create or take over the run record; None when the unit is done or in other hands."""
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                return JobRun.objects.create(
                    job=job,
                    area=area,
                    run_key=run_key,
                    trigger=trigger,
                    task_id=task_id,
                    requested_by=requested_by,
                    started_at=now,
                )
        except IntegrityError:
            pass
        run = JobRun.objects.select_for_update().get(job=job, area=area, run_key=run_key)
        if run.status == JobRun.Status.SUCCEEDED:
            return None
        redelivered = bool(task_id) and run.task_id == task_id
        if run.status == JobRun.Status.RUNNING and not redelivered:
            if now - run.started_at < STALE_AFTER:
                return None
        run.status = JobRun.Status.RUNNING
        run.attempts += 1
        run.task_id = task_id or run.task_id
        run.started_at = now
        run.finished_at = None
        run.error = ""
        run.save(
            update_fields=["status", "attempts", "task_id", "started_at", "finished_at", "error"]
        )
        return run


def run_job(
    *,
    job: str,
    run_key: str,
    work: Work,
    area: Area | None = None,
    trigger: str = JobRun.Trigger.SCHEDULE,
    task_id: str = "",
    requested_by: User | None = None,
) -> JobRun | None:
    """Do one unit of work once and record it; returns the run, or None when it was skipped.

    ``work`` receives the run record and returns the counts to keep. Exceptions are recorded on
    the run (status failed, the error text) and re-raised so the caller (a task) can retry.
    """
    run = _claim(
        job=job,
        area=area,
        run_key=run_key,
        trigger=trigger,
        task_id=task_id,
        requested_by=requested_by,
    )
    if run is None:
        logger.info("job %s %s %s: already done or running; skipped", job, area, run_key)
        return None
    try:
        counts = work(run)
    except Exception as exc:
        run.status = JobRun.Status.FAILED
        run.finished_at = timezone.now()
        run.error = "".join(traceback.format_exception_only(exc)).strip()[:4000]
        run.save(update_fields=["status", "finished_at", "error"])
        logger.exception("job %s %s %s failed", job, area, run_key)
        raise
    run.status = JobRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.counts = counts
    run.save(update_fields=["status", "finished_at", "counts"])
    return run


def local_day_key(when=None) -> str:
    """The run key of a nightly job: the local date it ran for."""
    return timezone.localdate(when).isoformat()


def slot_key(when=None, *, minutes: int = 15) -> str:
    """The run key of a job that runs every ``minutes``: the start of the current slot."""
    moment = timezone.localtime(when)
    floored = moment.replace(
        minute=moment.minute - moment.minute % minutes, second=0, microsecond=0
    )
    return floored.strftime("%Y-%m-%dT%H:%M")


class JobTask(DjangoTask):
    """Base for Baodao's tasks: acknowledged late, retried with backoff on unexpected errors.

    Domain errors (bad input, an illegal move) are not retried: running again would fail the
    same way, and the run record already shows the error.
    """

    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = (Exception,)
    dont_autoretry_for = (DomainError,)
    retry_backoff = 30
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 4

"""Nightly points: award what the day's records earned, once (see evaluation.services.points)."""

from __future__ import annotations

from celery import shared_task

from portal.jobs import JobTask, local_day_key, run_job
from portal.models import JobRun


@shared_task(base=JobTask, bind=True, name="evaluation.award_points")
def award_points(self, run_key: str = "", trigger: str = JobRun.Trigger.SCHEDULE) -> int | None:
    """Award points for every record not yet awarded. Returns the run id (None if skipped)."""
    from evaluation.services.points import award_points as award

    run = run_job(
        job="points",
        run_key=run_key or local_day_key(),
        trigger=trigger,
        task_id=self.request.id or "",
        work=lambda run: dict(award()),
    )
    return run.pk if run else None

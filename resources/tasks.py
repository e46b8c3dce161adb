"""Background jobs of the three lists: matching and the response clock. Thin wrappers:
each looks its work up again by id and runs one service through ``portal.jobs.run_job``."""

from __future__ import annotations

from celery import shared_task

from portal.jobs import JobTask, local_day_key, run_job, slot_key
from portal.models import Area, JobRun, User


@shared_task(base=JobTask, bind=True, name="resources.match_all_streets")
def match_all_streets(self, run_key: str = "", trigger: str = JobRun.Trigger.SCHEDULE) -> int:
    """Nightly: queue one matching run per street. Returns how many were queued."""
    run_key = run_key or local_day_key()
    street_ids = list(Area.objects.filter(level=Area.Level.STREET).values_list("pk", flat=True))
    for street_id in street_ids:
        match_area.delay(street_id, run_key=run_key, trigger=trigger)
    return len(street_ids)


@shared_task(base=JobTask, bind=True, name="resources.match_area")
def match_area(
    self,
    area_id: int,
    run_key: str = "",
    trigger: str = JobRun.Trigger.SCHEDULE,
    requested_by_id: int | None = None,
) -> int | None:
    """Match the open needs of one street or community. Returns the run id (None if skipped)."""
    from resources.services.matching import match_area as match

    area = Area.objects.get(pk=area_id)
    run = run_job(
        job="matching",
        area=area,
        run_key=run_key or local_day_key(),
        trigger=trigger,
        task_id=self.request.id or "",
        requested_by=User.objects.filter(pk=requested_by_id).first() if requested_by_id else None,
        work=lambda run: match(area=area, run=run),
    )
    return run.pk if run else None


@shared_task(base=JobTask, bind=True, name="resources.response_clock")
def response_clock(self, run_key: str = "", trigger: str = JobRun.Trigger.SCHEDULE) -> int | None:
    """Every 15 minutes: escalate needs whose clock ran out, warn about those close to it."""
    from resources.services.escalation import run_response_clock

    run = run_job(
        job="response_clock",
        run_key=run_key or slot_key(),
        trigger=trigger,
        task_id=self.request.id or "",
        work=lambda run: run_response_clock(),
    )
    return run.pk if run else None

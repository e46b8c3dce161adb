"""Background work of evaluation: the nightly points award, the nightly KPI roll-up and report
exports. Thin wrappers around services (evaluation.services.points, .kpi, .exports)."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.utils import timezone

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


@shared_task(base=JobTask, bind=True, name="evaluation.rollup_kpis")
def rollup_kpis(self, run_key: str = "", trigger: str = JobRun.Trigger.SCHEDULE) -> int | None:
    """Nightly: roll up yesterday's KPIs and refresh the settling ones. Returns the run id."""
    from evaluation.services.kpi import nightly_rollup

    today = date.fromisoformat(run_key) if run_key else timezone.localdate()
    run = run_job(
        job="kpi_rollup",
        run_key=today.isoformat(),
        trigger=trigger,
        task_id=self.request.id or "",
        work=lambda run: nightly_rollup(today=today),
    )
    return run.pk if run else None


@shared_task(base=JobTask, bind=True, name="evaluation.build_kpi_export")
def build_kpi_export(self, export_id: int) -> str:
    """Build one requested KPI report file; a finished or failed export is left alone."""
    from evaluation.services.kpi_exports import build_kpi_export as build

    return build(export_id=export_id)


@shared_task(base=JobTask, bind=True, name="evaluation.compute_evaluation")
def compute_evaluation(
    self,
    year: int | None = None,
    area_id: int | None = None,
    run_key: str = "",
    trigger: str = JobRun.Trigger.SCHEDULE,
) -> int | None:
    """Compute the annual evaluation of ``year`` (default: this year) for an area's streets
    (default: every street); published streets stay as published. Returns the run id."""
    from evaluation.services.annual import compute_evaluation as compute
    from portal.models import Area

    year = year or timezone.localdate().year
    area = Area.objects.get(pk=area_id) if area_id else None
    run = run_job(
        job="evaluation",
        area=area,
        run_key=run_key or f"{year}@{local_day_key()}",
        trigger=trigger,
        task_id=self.request.id or "",
        work=lambda run: compute(year=year, area=area),
    )
    return run.pk if run else None

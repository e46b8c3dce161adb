"""Reads for the operator page of background jobs."""

from __future__ import annotations

from django.db.models import OuterRef, Q, QuerySet, Subquery

from portal.access import Action, areas_for, reach, scope
from portal.models import Area, JobRun, User


def job_runs_for(*, user: User) -> QuerySet[JobRun]:
    """Runs the user may see: those of areas in reach, and the whole-city runs (no area) for
    users whose reach includes a city."""
    scoped = scope(JobRun.objects.all(), user, Action.JOB_VIEW)
    city_paths = Area.objects.filter(level=Area.Level.CITY, path__in=reach(user, Action.JOB_VIEW))
    runs = JobRun.objects.filter(Q(pk__in=scoped.values("pk")))
    if city_paths.exists():
        runs = JobRun.objects.filter(Q(pk__in=scoped.values("pk")) | Q(area__isnull=True))
    return runs.select_related("area", "requested_by").order_by("-started_at", "-id")


def last_matching_by_street(*, user: User) -> QuerySet[Area]:
    """The streets in reach with when matching last succeeded and last failed there."""

    def latest(status: str):
        return Subquery(
            JobRun.objects.filter(
                Q(area=OuterRef("pk")) | Q(area__parent=OuterRef("pk")),
                job="matching",
                status=status,
            )
            .order_by("-finished_at")
            .values("finished_at")[:1]
        )

    return (
        areas_for(user, Action.JOB_VIEW, levels=[Area.Level.STREET])
        .annotate(
            last_success=latest(JobRun.Status.SUCCEEDED),
            last_failure=latest(JobRun.Status.FAILED),
        )
        .order_by("path")
    )

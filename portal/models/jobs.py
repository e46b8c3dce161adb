"""Background work that operators can see and steer: job runs and the beat schedule."""

from __future__ import annotations

from celery.schedules import crontab
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.models.core import Area


class JobRunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class JobTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("Schedule")
    ON_DEMAND = "on_demand", _("On demand")
    COMMAND = "command", _("Command line")


JOB_LABELS = {
    "matching": _("Need–resource matching"),
    "points": _("Points"),
    "response_clock": _("Response clock"),
    "kpi_rollup": _("KPI roll-ups"),
    "evaluation": _("Annual evaluation"),
    "archive_logs": _("Archive old audit and sign-in logs"),
}


class JobRun(models.Model):
    """One run of one job for one area (or for everything, when ``area`` is empty).

    ``run_key`` names the unit of work (a date for nightly jobs, a slot for the
    15-minute jobs, a request id for on-demand runs); a second run with the same
    job, area and key is the same unit of work and changes nothing.
    """

    Status = JobRunStatus
    Trigger = JobTrigger

    job = models.CharField(_("job"), max_length=40)
    area = models.ForeignKey(
        Area,
        verbose_name=_("area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="job_runs",
    )
    run_key = models.CharField(_("unit of work"), max_length=64)
    trigger = models.CharField(
        _("trigger"), max_length=10, choices=JobTrigger.choices, default=JobTrigger.SCHEDULE
    )
    status = models.CharField(
        _("status"), max_length=10, choices=JobRunStatus.choices, default=JobRunStatus.RUNNING
    )
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["job", "area", "-started_at"], name="jobrun_job_area_recent"),
            models.Index(fields=["status", "-started_at"], name="jobrun_status_recent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "area", "run_key"],
                condition=Q(area__isnull=False),
                name="jobrun_unique_unit_per_area",
            ),
            models.UniqueConstraint(
                fields=["job", "run_key"],
                condition=Q(area__isnull=True),
                name="jobrun_unique_unit_global",
            ),
            models.CheckConstraint(
                condition=Q(status__in=JobRunStatus.values), name="jobrun_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(trigger__in=JobTrigger.values), name="jobrun_trigger_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="running") | Q(finished_at__isnull=False),
                name="jobrun_finished_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job} · {self.area or '-'} · {self.run_key}"

    @property
    def job_label(self) -> str:
        return str(JOB_LABELS.get(self.job, self.job))

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


def _validate_cron_field(value: str) -> None:
    if not value or len(value) > 64:
        raise ValidationError(_("Enter a cron field such as *, 0, */15 or 1-5."))


class ScheduledJob(models.Model):
    """A beat schedule entry kept in the database; operators edit it in the admin.

    ``portal.beat.DatabaseScheduler`` reads the enabled rows, so a change reaches the
    running beat within a minute without a restart.
    """

    name = models.CharField(_("name"), max_length=60, unique=True)
    task = models.CharField(_("task"), max_length=120)
    description = models.CharField(_("description"), max_length=200, blank=True)
    minute = models.CharField(
        _("minute"), max_length=64, default="0", validators=[_validate_cron_field]
    )
    hour = models.CharField(
        _("hour"), max_length=64, default="*", validators=[_validate_cron_field]
    )
    day_of_week = models.CharField(
        _("day of week"), max_length=64, default="*", validators=[_validate_cron_field]
    )
    day_of_month = models.CharField(
        _("day of month"), max_length=64, default="*", validators=[_validate_cron_field]
    )
    month_of_year = models.CharField(
        _("month"), max_length=64, default="*", validators=[_validate_cron_field]
    )
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    last_run_at = models.DateTimeField(_("last sent at"), null=True, blank=True)
    total_run_count = models.PositiveIntegerField(_("times sent"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def cron(self) -> str:
        return " ".join(
            [self.minute, self.hour, self.day_of_month, self.month_of_year, self.day_of_week]
        )

    def schedule(self, *, app=None) -> crontab:
        """The Celery crontab for this row, in the project's time zone."""
        return crontab(
            minute=self.minute,
            hour=self.hour,
            day_of_week=self.day_of_week,
            day_of_month=self.day_of_month,
            month_of_year=self.month_of_year,
            app=app,
        )

    def clean(self) -> None:
        from celery import current_app

        try:
            self.schedule(app=current_app)
        except (ValueError, TypeError) as exc:
            raise ValidationError(
                _("This is not a valid schedule: %(error)s") % {"error": exc}
            ) from exc
        if self.task not in current_app.tasks:
            current_app.loader.import_default_modules()
        if self.task not in current_app.tasks:
            raise ValidationError({"task": _("No task has this name.")})
        if not isinstance(self.kwargs, dict):
            raise ValidationError({"kwargs": _("Enter a JSON object.")})

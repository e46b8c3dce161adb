"""KPI roll-ups (one row per area, day and KPI) and the report exports built from them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.models import Area


class KpiDaily(models.Model):
    """The parts of one KPI for one area on one day, so any period and level can be summed.

    Communities are computed from raw records; streets, districts and the city are the sums
    of their communities' rows for the same day (never an average of averages). ``numerator``
    and ``denominator`` follow the KPI's definition in ``evaluation.kpi.definitions``;
    ``histogram`` carries what a median needs (response hours per bucket). ``value`` is the
    day's own figure, kept for reading a single day without recomputing it.
    """

    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("day"))
    kpi = models.CharField(_("KPI"), max_length=40)
    numerator = models.DecimalField(_("numerator"), max_digits=18, decimal_places=4, default=0)
    denominator = models.DecimalField(_("denominator"), max_digits=18, decimal_places=4, default=0)
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4, null=True, blank=True)
    histogram = models.JSONField(_("distribution"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("daily KPI figure")
        verbose_name_plural = _("daily KPI figures")
        ordering = ["area__path", "day", "kpi"]
        constraints = [
            models.UniqueConstraint(fields=["area", "day", "kpi"], name="kpidaily_unique"),
            models.CheckConstraint(
                condition=Q(denominator__gte=0), name="kpidaily_denominator_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["day", "area"], name="kpidaily_day_area")]

    def __str__(self) -> str:
        return f"{self.area_id} · {self.day} · {self.kpi}"


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class Export(models.Model):
    """A report file built in the background for one user and one area.

    The file lives under ``MEDIA_ROOT/exports/``; only the requester may download it, and only
    while the area is still in their reach.
    """

    Status = ExportStatus

    kind = models.CharField(_("kind"), max_length=32)
    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.FileField(_("file"), upload_to="exports/", blank=True)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="export_progress_at_most_100"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ExportStatus.values), name="export_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | ~Q(file=""), name="export_done_has_file"
            ),
        ]
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="export_user_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} · {self.area_id} · {self.status}"

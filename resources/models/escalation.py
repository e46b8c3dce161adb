"""Response-clock escalations: a need not accepted in time goes up the hierarchy."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.models import Area
from resources.models.lists import Need


class EscalationLevel(models.IntegerChoices):
    STREET = 1, _("Street office")
    DISTRICT = 2, _("District")


class NeedEscalation(models.Model):
    """One step up: the need reached ``area`` (a street or district) at ``escalated_at``,
    and that level's own clock runs out at ``due_at``."""

    Level = EscalationLevel

    need = models.ForeignKey(
        Need, verbose_name=_("need"), on_delete=models.CASCADE, related_name="escalations"
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=EscalationLevel.choices)
    area = models.ForeignKey(
        Area, verbose_name=_("escalated to"), on_delete=models.PROTECT, related_name="+"
    )
    escalated_at = models.DateTimeField(_("escalated at"))
    due_at = models.DateTimeField(_("due at this level"))

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["need", "level"]
        indexes = [models.Index(fields=["area", "-escalated_at"], name="escalation_area_recent")]
        constraints = [
            # Running the escalation job twice escalates once.
            models.UniqueConstraint(fields=["need", "level"], name="escalation_once_per_level"),
            models.CheckConstraint(
                condition=Q(level__in=EscalationLevel.values), name="escalation_level_valid"
            ),
            models.CheckConstraint(
                condition=Q(due_at__gt=models.F("escalated_at")), name="escalation_due_after"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.need_id} → {self.get_level_display()}"

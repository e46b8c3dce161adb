"""Proposals of the matching engine and the decisions community workers take on them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from resources.models.lists import Need, Resource


class MatchStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    # A later run found a better use of the resource, or the need moved on without it.
    EXPIRED = "expired", _("Expired")


class Match(models.Model):
    """A resource proposed for a need by a matching run, and what became of it.

    One row per (need, resource) pair for ever: a rejected pair is never proposed again,
    and a pair proposed again by a later run updates its row instead of adding one.
    """

    Status = MatchStatus

    need = models.ForeignKey(
        Need, verbose_name=_("need"), on_delete=models.PROTECT, related_name="matches"
    )
    resource = models.ForeignKey(
        Resource, verbose_name=_("resource"), on_delete=models.PROTECT, related_name="matches"
    )
    # 0..1000: the engine's weighted score (shown as 0..100).
    score = models.PositiveSmallIntegerField(_("score"))
    # [[code, {params}], ...] from resources.matching; rendered in the reader's language.
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    run = models.ForeignKey(
        "portal.JobRun",
        verbose_name=_("run"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="matches",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MatchStatus.choices, default=MatchStatus.PROPOSED
    )
    proposed_at = models.DateTimeField(_("proposed at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reject_reason = models.TextField(_("reason for rejecting"), blank=True)

    class Meta:
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        ordering = ["-proposed_at", "-id"]
        indexes = [
            models.Index(fields=["status", "need"], name="match_status_need"),
            models.Index(fields=["resource", "status"], name="match_resource_status"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["need", "resource"], name="match_once_per_pair"),
            models.UniqueConstraint(
                fields=["need"],
                condition=Q(status="proposed"),
                name="match_one_live_proposal_per_need",
            ),
            models.UniqueConstraint(
                fields=["need"],
                condition=Q(status="accepted"),
                name="match_one_accepted_per_need",
            ),
            models.CheckConstraint(
                condition=Q(status__in=MatchStatus.values), name="match_status_valid"
            ),
            models.CheckConstraint(condition=Q(score__lte=1000), name="match_score_in_range"),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reject_reason=""),
                name="match_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["accepted", "rejected"]) | Q(decided_at__isnull=False),
                name="match_decided_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.need_id} → {self.resource_id} ({self.score})"

    @property
    def score_percent(self) -> int:
        return round(self.score / 10)

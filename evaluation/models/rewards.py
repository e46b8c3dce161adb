"""The volunteer-service shop (志愿服务超市): rewards with stock, and members' redemptions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.models import Area


class Reward(models.Model):
    """An item of a community's catalogue that members can redeem points for."""

    community = models.ForeignKey(
        Area, verbose_name=_("community"), on_delete=models.PROTECT, related_name="rewards"
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    points_cost = models.DecimalField(_("points"), max_digits=10, decimal_places=2)
    # Units on the shelf; a request reserves one, a cancelled request puts it back.
    stock = models.PositiveIntegerField(_("stock"), default=0)
    active = models.BooleanField(_("on offer"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["points_cost", "name", "id"]
        indexes = [models.Index(fields=["community", "active"], name="reward_community_active")]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="reward_stock_not_negative"),
            models.CheckConstraint(condition=Q(points_cost__gt=0), name="reward_cost_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class RedemptionStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    CONFIRMED = "confirmed", _("Handed over")
    CANCELLED = "cancelled", _("Cancelled")


class Redemption(models.Model):
    """A member's request for a reward: points taken and one unit reserved at once.

    A community worker confirms the hand-over, or the request is cancelled and both come back.
    """

    Status = RedemptionStatus

    reward = models.ForeignKey(
        Reward, verbose_name=_("reward"), on_delete=models.PROTECT, related_name="redemptions"
    )
    member = models.ForeignKey(
        "reporting.PartyMember",
        verbose_name=_("party member"),
        on_delete=models.PROTECT,
        related_name="redemptions",
    )
    points = models.DecimalField(_("points"), max_digits=10, decimal_places=2)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RedemptionStatus.choices,
        default=RedemptionStatus.REQUESTED,
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    # One per rendered redeem form, so a double submit books one redemption.
    idempotency_key = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["reward", "status"], name="redemption_reward_status"),
            models.Index(fields=["member", "-requested_at"], name="redemption_member_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RedemptionStatus.values), name="redemption_status_valid"
            ),
            models.CheckConstraint(condition=Q(points__gt=0), name="redemption_points_positive"),
            models.CheckConstraint(
                condition=Q(status="requested") | Q(decided_at__isnull=False),
                name="redemption_decided_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.reward}"

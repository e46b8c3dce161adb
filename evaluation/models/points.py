"""The points ledger (积分): rules as data, append-only entries and one balance per subject."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Area


class PointEvent(models.TextChoices):
    SERVICE_HOUR = "service_hour", _("Verified service hours")
    ENROLLMENT_CONFIRMED = "enrollment_confirmed", _("Enrollment confirmed")
    PROJECT_OWNER_COMPLETED = "project_owner_completed", _("Project completed as owner")
    RATING_FIVE_STAR = "rating_five_star", _("Five-star rating received")
    REDEMPTION = "redemption", _("Redemption")
    REDEMPTION_REFUND = "redemption_refund", _("Redemption refunded")
    ADJUSTMENT = "adjustment", _("Adjustment")


# Events that rules award (the others are bookings of the rewards shop and of staff).
RULE_EVENTS = (
    PointEvent.SERVICE_HOUR,
    PointEvent.ENROLLMENT_CONFIRMED,
    PointEvent.PROJECT_OWNER_COMPLETED,
    PointEvent.RATING_FIVE_STAR,
)

# The product defaults of DOMAIN.md: (points, daily cap). Service hours give points per hour.
DEFAULT_RULES: dict[str, tuple[Decimal, Decimal | None]] = {
    PointEvent.SERVICE_HOUR: (Decimal("1"), None),
    PointEvent.ENROLLMENT_CONFIRMED: (Decimal("5"), None),
    PointEvent.PROJECT_OWNER_COMPLETED: (Decimal("10"), None),
    PointEvent.RATING_FIVE_STAR: (Decimal("1"), None),
}


class PointRule(models.Model):
    """How many points an event gives in an area (and below), optionally for one year.

    The nearest area up the tree wins and a year-specific rule beats an all-years rule of the
    same area (as for ``portal.models.Setting``); without a rule the defaults apply. An
    inactive rule is kept for the record but ignored; to stop awarding, set the points to 0.
    """

    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="point_rules"
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    event = models.CharField(_("event"), max_length=32, choices=PointEvent.choices)
    points = models.DecimalField(_("points"), max_digits=8, decimal_places=2)
    daily_cap = models.DecimalField(
        _("daily cap"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("point rule")
        verbose_name_plural = _("point rules")
        ordering = ["area__path", "event", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["area", "event", "year"],
                condition=Q(year__isnull=False),
                name="point_rule_unique_year",
            ),
            models.UniqueConstraint(
                fields=["area", "event"],
                condition=Q(year__isnull=True),
                name="point_rule_unique_all_years",
            ),
            models.CheckConstraint(
                condition=Q(event__in=[e.value for e in RULE_EVENTS]), name="point_rule_event_valid"
            ),
            models.CheckConstraint(
                condition=Q(points__gte=0, points__lte=1000), name="point_rule_points_range"
            ),
            models.CheckConstraint(
                condition=Q(daily_cap__isnull=True) | Q(daily_cap__gt=0),
                name="point_rule_cap_positive",
            ),
            models.CheckConstraint(
                condition=Q(year__isnull=True) | Q(year__gte=2000, year__lte=2100),
                name="point_rule_year_valid",
            ),
        ]

    def __str__(self) -> str:
        year = f"/{self.year}" if self.year else ""
        return f"{self.get_event_display()}@{self.area}{year}: {self.points}"


class AppendOnlyLedgerQuerySet(models.QuerySet):
    """Bulk update and delete would bypass the model's guards; refuse them too."""

    def update(self, **kwargs):
        raise ValidationError(_("The points ledger is append-only; book a correction instead."))

    def delete(self):
        raise ValidationError(_("The points ledger is append-only; book a correction instead."))


class PointEntry(models.Model):
    """One booking of points for a member or a unit. Never changed: a correction is a new entry.

    ``source_key`` names what the points are for (``service_record:123``, ``enrollment:45``,
    ``project:7:owner``, ``rating:need:9``, ``redemption:3``, ``redemption:3:refund``), so the
    nightly award never books the same record twice. ``rule_points`` is what the rule gave
    before the daily cap and the zero floor of the balance; ``details`` says how ``points``
    came from it.
    """

    Event = PointEvent

    member = models.ForeignKey(
        "reporting.PartyMember",
        verbose_name=_("party member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="point_entries",
    )
    unit = models.ForeignKey(
        "reporting.ResidentUnit",
        verbose_name=_("resident unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="point_entries",
    )
    # The community the points were earned or spent in; portal.access.scope filters on it.
    community = models.ForeignKey(
        Area, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    event = models.CharField(_("event"), max_length=32, choices=PointEvent.choices)
    points = models.DecimalField(_("points"), max_digits=10, decimal_places=2)
    rule_points = models.DecimalField(
        _("points by the rule"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    source_key = models.CharField(_("source"), max_length=64, unique=True)
    occurred_on = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    # {"cap": "8.00"} when the daily cap cut the points; {"clamped_from": "-3.00"} when the
    # balance could not go below zero. Rendered in the reader's language.
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("booked at"), default=timezone.now, editable=False)
    # PROTECT: entries are never changed, so neither is who booked them.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = AppendOnlyLedgerQuerySet.as_manager()

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-occurred_on", "-id"]
        indexes = [
            models.Index(fields=["member", "event", "occurred_on"], name="point_member_event_day"),
            models.Index(fields=["unit", "event", "occurred_on"], name="point_unit_event_day"),
            models.Index(fields=["community", "occurred_on"], name="point_community_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(member__isnull=False, unit__isnull=True)
                | Q(member__isnull=True, unit__isnull=False),
                name="point_entry_one_subject",
            ),
            models.CheckConstraint(
                condition=Q(event__in=PointEvent.values), name="point_entry_event_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_key} {self.points:+}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValidationError(_("The points ledger is append-only; book a correction instead."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("The points ledger is append-only; book a correction instead."))

    @property
    def subject(self):
        return self.member if self.member_id else self.unit

    def explanation(self) -> list[str]:
        """Why ``points`` differ from what the rule gave, in the reader's language."""
        lines = []
        if "cap" in self.details:
            lines.append(
                _("Daily cap of %(cap)s points reached; %(earned)s by the rule.")
                % {"cap": self.details["cap"], "earned": self.rule_points}
            )
        if "clamped_from" in self.details:
            lines.append(
                _("Only %(booked)s of %(wanted)s could be taken: the balance cannot go below zero.")
                % {"booked": abs(self.points), "wanted": self.details["clamped_from"].lstrip("-")}
            )
        return [str(line) for line in lines]


class PointAccount(models.Model):
    """The running balance of one member or unit; the database refuses a negative balance.

    Every entry is booked in the same transaction as its change here, with the row locked.
    """

    member = models.OneToOneField(
        "reporting.PartyMember",
        verbose_name=_("party member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="point_account",
    )
    unit = models.OneToOneField(
        "reporting.ResidentUnit",
        verbose_name=_("resident unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="point_account",
    )
    balance = models.DecimalField(
        _("balance"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="point_account_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(member__isnull=False, unit__isnull=True)
                | Q(member__isnull=True, unit__isnull=False),
                name="point_account_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member or self.unit}: {self.balance}"

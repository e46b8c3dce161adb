"""Reporting to the community (报到): members, units, enrollment, activities, check-in, service."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from portal.models import Area

# Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from this alphabet
# (no I, O, Z, S, V); the last is a check character.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """An 18-character unified social credit code with a correct check character."""
    code = (value or "").strip().upper()
    if len(code) != 18 or any(ch not in USCC_ALPHABET for ch in code):
        raise ValidationError(
            _("A unified social credit code has 18 digits or capital letters."), code="credit_code"
        )
    if uscc_check_character(code[:17]) != code[17]:
        raise ValidationError(
            _("The check character of this credit code is wrong; please check it."),
            code="credit_code_check",
        )


def _new_token_secret() -> str:
    return secrets.token_hex(16)


class PartyMember(models.Model):
    """An employed party member, reporting to the community where they live."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="party_member",
    )
    party_organisation = models.CharField(_("party organisation"), max_length=120)
    workplace = models.CharField(_("workplace"), max_length=120, blank=True)
    home_community = models.ForeignKey(
        Area,
        verbose_name=_("home community"),
        on_delete=models.PROTECT,
        related_name="party_members",
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.user)


class ResidentUnit(models.Model):
    """An organisation located in a community (驻区单位)."""

    class UnitType(models.TextChoices):
        GOVERNMENT = "government", _("Government office")
        STATE_ENTERPRISE = "state_enterprise", _("State enterprise")
        PRIVATE_COMPANY = "private_company", _("Private company")
        SCHOOL = "school", _("School")
        HOSPITAL = "hospital", _("Hospital")
        SOCIAL_ORGANISATION = "social_organisation", _("Social organisation")

    name = models.CharField(_("name"), max_length=120)
    unit_type = models.CharField(_("type"), max_length=20, choices=UnitType.choices)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
    )
    address = models.CharField(_("address"), max_length=200)
    community = models.ForeignKey(
        Area, verbose_name=_("community"), on_delete=models.PROTECT, related_name="resident_units"
    )
    contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("contact person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resident_units",
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("resident unit")
        verbose_name_plural = _("resident units")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    unit_type__in=[
                        "government",
                        "state_enterprise",
                        "private_company",
                        "school",
                        "hospital",
                        "social_organisation",
                    ]
                ),
                name="unit_type_valid",
            )
        ]

    def __str__(self) -> str:
        return self.name


class EnrollmentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    CONFIRMED = "confirmed", _("Confirmed")
    ACTIVE = "active", _("Active")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    RETURNED = "returned", _("Returned")


# Statuses that hold the subject's one enrollment of the year.
LIVE_ENROLLMENT = ["pending", "confirmed", "active"]


class Enrollment(models.Model):
    """A member's or unit's yearly report to a community, with what it offers."""

    Status = EnrollmentStatus

    member = models.ForeignKey(
        PartyMember,
        verbose_name=_("party member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enrollments",
    )
    unit = models.ForeignKey(
        ResidentUnit,
        verbose_name=_("resident unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enrollments",
    )
    community = models.ForeignKey(
        Area, verbose_name=_("community"), on_delete=models.PROTECT, related_name="enrollments"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    # {"categories": [codes], "skills": str, "times": [AvailabilitySlot values]}
    intentions = models.JSONField(_("service intentions"), default=dict, blank=True)
    # Units only: [{"name", "kind", "categories": [codes], "capacity"}], each becoming a
    # Resource once the enrollment is confirmed.
    agreement = models.JSONField(_("co-building agreement"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    return_reason = models.TextField(_("reason for returning"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["-year", "-submitted_at"]
        indexes = [models.Index(fields=["community", "year", "status"], name="enrollment_cty_year")]
        constraints = [
            models.CheckConstraint(
                condition=Q(member__isnull=False, unit__isnull=True)
                | Q(member__isnull=True, unit__isnull=False),
                name="enrollment_one_subject",
            ),
            models.CheckConstraint(
                condition=Q(status__in=EnrollmentStatus.values), name="enrollment_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100), name="enrollment_year_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(return_reason=""),
                name="enrollment_returned_has_reason",
            ),
            models.UniqueConstraint(
                fields=["member", "year"],
                condition=Q(status__in=LIVE_ENROLLMENT),
                name="enrollment_one_live_per_member_year",
            ),
            models.UniqueConstraint(
                fields=["unit", "year"],
                condition=Q(status__in=LIVE_ENROLLMENT),
                name="enrollment_one_live_per_unit_year",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} · {self.community} · {self.year}"

    @property
    def subject(self):
        return self.member if self.member_id else self.unit


class ActivityStatus(models.TextChoices):
    PUBLISHED = "published", _("Published")
    CANCELLED = "cancelled", _("Cancelled")


class Activity(models.Model):
    """A community activity members sign up for and check in to."""

    Status = ActivityStatus

    community = models.ForeignKey(
        Area, verbose_name=_("community"), on_delete=models.PROTECT, related_name="activities"
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    category = models.ForeignKey(
        "resources.NeedCategory",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    need = models.ForeignKey(
        "resources.Need",
        verbose_name=_("need"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    project = models.ForeignKey(
        "resources.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    venue = models.CharField(_("venue"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("capacity"), validators=[MinValueValidator(1)])
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("organiser"),
        on_delete=models.PROTECT,
        related_name="organised_activities",
    )
    geofence_latitude = models.DecimalField(
        _("geofence centre latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    geofence_longitude = models.DecimalField(
        _("geofence centre longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    geofence_radius_m = models.PositiveIntegerField(_("geofence radius (m)"), null=True, blank=True)
    # Per-activity key for the rotating QR token; never shown.
    token_secret = models.CharField(max_length=32, default=_new_token_secret, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PUBLISHED
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["community", "starts_at"], name="activity_cty_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="activity_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="activity_capacity_positive"),
            models.CheckConstraint(
                condition=Q(
                    geofence_latitude__isnull=True,
                    geofence_longitude__isnull=True,
                    geofence_radius_m__isnull=True,
                )
                | Q(
                    geofence_latitude__isnull=False,
                    geofence_longitude__isnull=False,
                    geofence_radius_m__gte=1,
                ),
                name="activity_geofence_complete",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ActivityStatus.values), name="activity_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_geofence(self) -> bool:
        return self.geofence_radius_m is not None


class Signup(models.Model):
    """A member's place in an activity; capacity is enforced by the sign-up service."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Signed up")
        CANCELLED = "cancelled", _("Cancelled")

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.CASCADE, related_name="signups"
    )
    member = models.ForeignKey(
        PartyMember,
        verbose_name=_("party member"),
        on_delete=models.PROTECT,
        related_name="signups",
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="active")
    created_at = models.DateTimeField(_("signed up at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-up")
        verbose_name_plural = _("sign-ups")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "member"],
                condition=Q(status="active"),
                name="signup_one_active_per_member",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "cancelled"]), name="signup_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.activity}"


class LocationConsent(models.Model):
    """A member's explicit, separate, revocable consent to location use at check-in."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="location_consents",
    )
    granted_at = models.DateTimeField(_("granted at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("location consent")
        verbose_name_plural = _("location consents")
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(revoked_at__isnull=True), name="consent_one_live"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.granted_at:%Y-%m-%d}"


class CheckIn(models.Model):
    """A member's attendance at an activity: in, out, and the organiser's confirmation."""

    class Method(models.TextChoices):
        QR = "qr", _("QR code")
        PROXY = "proxy", _("By the organiser")

    class Status(models.TextChoices):
        OPEN = "open", _("Checked in")
        PENDING = "pending", _("Awaiting confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        VOIDED = "voided", _("Voided")

    activity = models.ForeignKey(
        Activity, verbose_name=_("activity"), on_delete=models.PROTECT, related_name="checkins"
    )
    member = models.ForeignKey(
        PartyMember,
        verbose_name=_("party member"),
        on_delete=models.PROTECT,
        related_name="checkins",
    )
    method = models.CharField(_("method"), max_length=8, choices=Method.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="open")
    checked_in_at = models.DateTimeField(_("checked in at"))
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    # Stored rounded to ~10 m: the precision the geofence needs, no more.
    latitude = models.DecimalField(
        _("latitude"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    distance_m = models.PositiveIntegerField(
        _("distance from the venue (m)"), null=True, blank=True
    )
    # Reasons the organiser should look: "no_location_consent", "outside_geofence",
    # "hours_capped", "proxy", "corrected".
    flags = models.JSONField(_("flags"), default=list, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=2, null=True, blank=True)
    device_id = models.CharField(_("device"), max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-checked_in_at", "-id"]
        constraints = [
            # Concurrent double taps give one check-in; a voided one frees the place, so a
            # check-in voided by mistake can be made again.
            models.UniqueConstraint(
                fields=["activity", "member"],
                condition=~Q(status="voided"),
                name="checkin_once_per_activity",
            ),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True)
                | Q(checked_out_at__gte=F("checked_in_at")),
                name="checkin_out_after_in",
            ),
            models.CheckConstraint(
                condition=Q(hours__isnull=True) | Q(hours__gte=0), name="checkin_hours_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "pending", "confirmed", "voided"]),
                name="checkin_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.activity}"


class ServiceRecord(models.Model):
    """Verified service hours, append-only: a correction is a new record pointing at the old."""

    member = models.ForeignKey(
        PartyMember,
        verbose_name=_("volunteer"),
        on_delete=models.PROTECT,
        related_name="service_records",
    )
    activity = models.ForeignKey(
        Activity,
        verbose_name=_("activity"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_records",
    )
    checkin = models.ForeignKey(
        CheckIn,
        verbose_name=_("check-in"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_records",
    )
    community = models.ForeignKey(
        Area, verbose_name=_("community"), on_delete=models.PROTECT, related_name="service_records"
    )
    organisation = models.CharField(_("organisation"), max_length=120)
    place = models.CharField(_("place"), max_length=200)
    service_date = models.DateField(_("date"))
    started_at = models.DateTimeField(_("start"))
    ended_at = models.DateTimeField(_("end"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=2)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        ordering = ["-service_date", "-id"]
        indexes = [models.Index(fields=["member", "service_date"], name="service_member_date")]
        constraints = [
            # A correction carries the difference, which may be negative; originals may not.
            models.CheckConstraint(
                condition=Q(hours__gte=0) | Q(corrects__isnull=False),
                name="service_hours_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__gte=F("started_at")), name="service_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(corrects__isnull=True) | ~Q(reason=""),
                name="service_correction_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} · {self.service_date} · {self.hours}h"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValidationError(
                _("Service records are append-only; record a correction instead.")
            )
        super().save(*args, **kwargs)


class Certificate(models.Model):
    """A certificate of service hours for a period, checkable by its verification code."""

    member = models.ForeignKey(
        PartyMember,
        verbose_name=_("volunteer"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    hours = models.DecimalField(_("hours"), max_digits=7, decimal_places=2)
    verification_code = models.CharField(_("verification code"), max_length=16, unique=True)
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="certificate_period_valid"
            )
        ]

    def __str__(self) -> str:
        return self.verification_code

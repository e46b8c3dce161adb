"""Partner systems that use the REST API: clients, their hashed keys, the consent members give
to share their service data with them, and the stored answers of idempotent requests.

A client acts through a service ``User`` that holds a ``partner`` role assignment in every area
it may reach, so ``portal.access.scope`` decides what it sees exactly as it does for staff; the
client's scopes then narrow that further, per endpoint (portal.api_permissions).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PartnerScope(models.TextChoices):
    NEEDS_READ = "needs:read", _("Read needs")
    NEEDS_WRITE = "needs:write", _("Submit needs and move them through their steps")
    NEEDS_CONTACT = "needs:contact", _("See a requester's full phone and address (logged)")
    RESOURCES_READ = "resources:read", _("Read resources")
    RESOURCES_WRITE = "resources:write", _("Create and change its own resources")
    PROJECTS_READ = "projects:read", _("Read projects and their tasks")
    ACTIVITIES_READ = "activities:read", _("Read activities")
    SERVICE_READ = "service:read", _("Read check-ins and service records (members who consent)")
    MATCHES_READ = "matches:read", _("Read match proposals")
    ENROLLMENT_READ = "enrollment:read", _("Read enrollments")
    KPI_READ = "kpi:read", _("Read KPIs")
    WEBHOOKS = "webhooks:manage", _("Subscribe to events (webhooks)")


class PartnerClient(models.Model):
    """A partner system (grid platform, hospital, charity, volunteer platform)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    # The service account the client acts as; its partner role assignments are its areas.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("service account"),
        on_delete=models.PROTECT,
        related_name="partner_client",
    )
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    # How needs entered by this system reached the community (resources.models.Channel).
    channel = models.CharField(_("intake channel"), max_length=10, default="proxy")
    rate_per_minute = models.PositiveIntegerField(_("requests per minute"), default=120)
    contact_email = models.EmailField(_("technical contact"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("partner client")
        verbose_name_plural = _("partner clients")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rate_per_minute__gte=1), name="partner_rate_positive"
            ),
            models.CheckConstraint(
                condition=Q(is_active=True) | Q(revoked_at__isnull=False),
                name="partner_inactive_has_revoked_at",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class PartnerKey(models.Model):
    """One API key of a client. Only a SHA-256 digest of the secret is kept; the key itself is
    shown once, when it is made. ``prefix`` (public) finds the row without a table scan."""

    client = models.ForeignKey(
        PartnerClient, verbose_name=_("client"), on_delete=models.CASCADE, related_name="keys"
    )
    prefix = models.CharField(_("key prefix"), max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    # A rotated key keeps working until this moment, so the partner can switch over.
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.client} · {self.prefix}…"


class PartnerConsent(models.Model):
    """A member's consent that one partner system may read their check-ins and service hours
    (the volunteer-service platform, say). Revocable; a revoked consent hides the data again."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        related_name="partner_consents",
    )
    client = models.ForeignKey(
        PartnerClient,
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="consents",
    )
    granted_at = models.DateTimeField(_("granted at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("data-sharing consent")
        verbose_name_plural = _("data-sharing consents")
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "client"],
                condition=Q(revoked_at__isnull=True),
                name="partner_consent_one_live",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.client}"


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key``; a retry gets it again."""

    client = models.ForeignKey(
        PartnerClient, on_delete=models.CASCADE, related_name="idempotency_records"
    )
    key = models.CharField(max_length=255)
    # SHA-256 of method, path and body: the same key with another request is a conflict.
    fingerprint = models.CharField(max_length=64)
    # Null while the first request is still being served.
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("idempotent request")
        verbose_name_plural = _("idempotent requests")
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="idempotency_key_per_client")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.client_id}:{self.key}"

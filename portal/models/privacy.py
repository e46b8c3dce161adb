"""Retention: what the nightly ``archive_logs`` job moved out of the database, and where to.

Each run writes one gzip JSONL file per log into ``settings.BAODAO_ARCHIVE_DIR`` and records it
here in the same transaction that deletes the archived rows, so the rows are either still in
the database or in a recorded file, never both and never neither (portal.retention).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AuditArchive(models.Model):
    """A run of audit events (``first_seq``..``last_seq``) moved to a file.

    ``first_prev_hash`` and ``last_hash`` are the chain links at both ends: the first archive
    starts at the genesis hash, each next one at the previous one's ``last_hash``, and the
    events left in the database continue from the latest one's (portal.audit.verify_chain).
    """

    first_seq = models.PositiveBigIntegerField(_("first sequence"), unique=True)
    last_seq = models.PositiveBigIntegerField(_("last sequence"), unique=True)
    first_prev_hash = models.CharField(_("previous hash of the first event"), max_length=64)
    last_hash = models.CharField(_("hash of the last event"), max_length=64)
    count = models.PositiveIntegerField(_("events"))
    file_name = models.CharField(_("file"), max_length=120, unique=True)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64)
    cutoff = models.DateTimeField(_("archived events older than"))
    created_at = models.DateTimeField(_("archived at"), auto_now_add=True)

    class Meta:
        verbose_name = _("audit archive")
        verbose_name_plural = _("audit archives")
        ordering = ["first_seq"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_seq__gte=models.F("first_seq")), name="audit_archive_range"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.first_seq}–#{self.last_seq} · {self.file_name}"


class AccessLogArchive(models.Model):
    """Sign-in records (django-axes' access or failure log) moved to a file."""

    class Log(models.TextChoices):
        ACCESS = "access", _("Sign-ins and sign-outs")
        FAILURE = "failure", _("Failed sign-ins")

    log = models.CharField(_("log"), max_length=10, choices=Log.choices)
    first_id = models.PositiveBigIntegerField(_("first record id"))
    last_id = models.PositiveBigIntegerField(_("last record id"))
    count = models.PositiveIntegerField(_("records"))
    file_name = models.CharField(_("file"), max_length=120, unique=True)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64)
    cutoff = models.DateTimeField(_("archived records older than"))
    created_at = models.DateTimeField(_("archived at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sign-in log archive")
        verbose_name_plural = _("sign-in log archives")
        ordering = ["log", "first_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(log__in=["access", "failure"]), name="access_archive_log"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.log} #{self.first_id}–#{self.last_id} · {self.file_name}"

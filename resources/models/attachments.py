"""Files residents and workers attach to a need: photos (re-encoded) and PDFs (checked).

Stored under a random name (``needs/<yyyy>/<mm>/<uuid4>.<ext>``) and served only by the scoped
attachment view; the original file name is kept as a cleaned display name, never as a path.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from resources.models.lists import Need

ATTACHMENT_TYPES = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}


def attachment_path(instance: NeedAttachment, filename: str) -> str:
    """A random path; of the given name only an allowed extension is read (the service passes
    the sniffed one), so nothing a client chose ever reaches the file system."""
    ext = ATTACHMENT_TYPES.get(instance.content_type, "bin")
    now = timezone.localtime()
    return f"needs/{now:%Y}/{now:%m}/{uuid.uuid4().hex}.{ext}"


class NeedAttachment(models.Model):
    need = models.ForeignKey(
        Need, verbose_name=_("need"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=100)
    display_name = models.CharField(_("file name"), max_length=100)
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("need attachment")
        verbose_name_plural = _("need attachments")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(content_type__in=list(ATTACHMENT_TYPES)),
                name="need_attachment_type_allowed",
            ),
            models.CheckConstraint(condition=Q(size__gt=0), name="need_attachment_not_empty"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def download_name(self) -> str:
        """The display name with the extension of what is stored (a WebP photo comes back as
        JPEG or PNG)."""
        stem = self.display_name.rsplit(".", 1)[0] if "." in self.display_name else ""
        return f"{stem or 'attachment'}.{ATTACHMENT_TYPES[self.content_type]}"

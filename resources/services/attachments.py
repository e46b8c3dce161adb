"""Storing a need's attachments with the need, and auditing who fetched one.

Files are written inside the need's transaction; if anything after the first write fails, the
files written so far are deleted before the error goes on, so a failed submission leaves neither
rows nor files behind.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.core.files.base import ContentFile

from portal import audit
from portal.models import User
from resources.models import Need, NeedAttachment
from resources.uploads import CleanUpload

logger = logging.getLogger("baodao.uploads")


def store_attachments(
    *, need: Need, uploads: Sequence[CleanUpload], by: User | None
) -> list[NeedAttachment]:
    """Save checked uploads for ``need`` (call inside the need's ``transaction.atomic``)."""
    stored: list[NeedAttachment] = []
    try:
        for upload in uploads:
            attachment = NeedAttachment(
                need=need,
                display_name=upload.display_name,
                content_type=upload.content_type,
                size=upload.size,
                sha256=upload.sha256,
                uploaded_by=by if by is not None and by.is_authenticated else None,
            )
            # The name passed here is ignored by attachment_path: the path is random.
            attachment.file.save(
                f"upload.{upload.extension}", ContentFile(upload.content), save=False
            )
            stored.append(attachment)
            attachment.save()
            audit.record(
                action="need.attachment_added",
                actor=by,
                obj=need,
                area=need.area,
                data={
                    "attachment": attachment.pk,
                    "content_type": attachment.content_type,
                    "size": attachment.size,
                    "sha256": attachment.sha256,
                },
            )
    except BaseException:
        discard_files(stored)
        raise
    return stored


def discard_files(attachments: Sequence[NeedAttachment]) -> None:
    """Delete the stored files of attachments whose rows are being rolled back."""
    for attachment in attachments:
        if attachment.file.name:
            try:
                attachment.file.storage.delete(attachment.file.name)
            except OSError:
                logger.exception("Could not delete the orphan upload %s", attachment.file.name)


def record_attachment_download(*, attachment: NeedAttachment, by: User) -> None:
    """Audit that ``by`` fetched an attachment (residents' photos are personal data)."""
    audit.record(
        action="need.attachment_viewed",
        actor=by,
        obj=attachment.need,
        area=attachment.need.area,
        data={"attachment": attachment.pk, "content_type": attachment.content_type},
    )

"""Checking and cleaning uploaded need attachments before anything is stored.

What a file is gets decided from its bytes (``filetype`` sniffing, then the decoder), never from
its name or the browser's content type. Images are decoded by Pillow within a pixel cap and
encoded again as JPEG (or PNG when they have transparency), which drops EXIF, GPS and any bytes
smuggled around the pixels. PDFs must start with ``%PDF-``, may not be encrypted, may use only
Flate and image-codec stream filters, and may not carry JavaScript, actions, forms or embedded
files; Flate streams are inflated (within a cap) for that check (``resources.upload_pdf``).
The original file name is kept only as a cleaned display name; storage paths are random.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import warnings
from dataclasses import dataclass
from io import BytesIO

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from resources.upload_pdf import check_pdf

IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
PDF = "application/pdf"
ALLOWED_TYPES = (*IMAGE_TYPES, PDF)
# What is stored: re-encoded images and checked PDFs.
STORED_TYPES = {"image/jpeg": "jpg", "image/png": "png", PDF: "pdf"}
DISPLAY_NAME_MAX = 100
JPEG_QUALITY = 85


@dataclass(frozen=True)
class CleanUpload:
    """An upload that passed the checks: the bytes to store and what is known about them."""

    content: bytes
    content_type: str
    display_name: str

    @property
    def extension(self) -> str:
        return STORED_TYPES[self.content_type]

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def display_name(name: str) -> str:
    """The original file name as it may be shown (always escaped): no folders, no control or
    format characters, at most ``DISPLAY_NAME_MAX`` characters (the extension kept)."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    # Control, format (right-to-left overrides), private and unassigned characters go; any
    # kind of space becomes a plain one.
    name = "".join(
        " " if unicodedata.category(ch)[0] == "Z" else ch
        for ch in name
        if unicodedata.category(ch)[0] != "C"
    )
    name = re.sub(r"\s+", " ", name).strip(" .")
    if len(name) > DISPLAY_NAME_MAX:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: DISPLAY_NAME_MAX - len(ext) - 1] + "." + ext
        else:
            name = name[:DISPLAY_NAME_MAX]
    return name or _("attachment")


def _limits() -> tuple[int, int]:
    return settings.BAODAO_UPLOAD_MAX_BYTES, settings.BAODAO_UPLOAD_MAX_PIXELS


def clean_upload(upload) -> CleanUpload:
    """Check one uploaded file and return what may be stored; ``ValidationError`` otherwise."""
    max_bytes, _max_pixels = _limits()
    shown = display_name(getattr(upload, "name", ""))
    if upload.size > max_bytes:
        raise ValidationError(
            _("“%(name)s” is larger than %(max)s.")
            % {"name": shown, "max": filesizeformat(max_bytes)},
            code="too_large",
        )
    upload.seek(0)
    content = upload.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise ValidationError(
            _("“%(name)s” is larger than %(max)s.")
            % {"name": shown, "max": filesizeformat(max_bytes)},
            code="too_large",
        )
    if not content:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": shown}, code="empty")
    kind = filetype.guess(content)
    mime = kind.mime if kind is not None else ""
    if mime in IMAGE_TYPES:
        content, mime = _reencode_image(content, IMAGE_TYPES[mime], shown)
    elif mime == PDF:
        check_pdf(content, shown)
    else:
        raise ValidationError(
            _("“%(name)s” is not a JPEG, PNG or WebP photo or a PDF document.") % {"name": shown},
            code="type",
        )
    return CleanUpload(content=content, content_type=mime, display_name=shown)


def _reencode_image(content: bytes, fmt: str, shown: str) -> tuple[bytes, str]:
    """Decode within the pixel cap, then encode afresh without metadata."""
    _max_bytes, max_pixels = _limits()
    unreadable = ValidationError(
        _("“%(name)s” is not a readable image.") % {"name": shown}, code="image"
    )
    too_big = ValidationError(
        _("“%(name)s” has too many pixels (at most %(max)s million).")
        % {"name": shown, "max": max_pixels // 1_000_000},
        code="pixels",
    )
    try:
        with warnings.catch_warnings():
            # Pillow warns past MAX_IMAGE_PIXELS and raises at twice that: refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(content), formats=[fmt]) as image:
                width, height = image.size
                # Read from the header, before any pixel is decoded.
                if width * height > min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels):
                    raise too_big
                image.load()
                image = ImageOps.exif_transpose(image)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_big from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise unreadable from None
    transparent = image.mode in {"RGBA", "LA", "PA"} or (
        image.mode == "P" and "transparency" in image.info
    )
    image.info.clear()  # EXIF, GPS, XMP, ICC, comments: nothing of the original travels on
    out = BytesIO()
    if transparent:
        image.convert("RGBA").save(out, format="PNG", optimize=True)
        return out.getvalue(), "image/png"
    image.convert("RGB").save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue(), "image/jpeg"

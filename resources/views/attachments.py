"""Serving a need's attachments: only through this view, only to users who may view the need.

Never from a public /media/ URL. The response carries the sniffed type, ``nosniff``, a sandbox
Content-Security-Policy (a file opened directly can run nothing and reach nothing) and a safe
Content-Disposition: inline only for the re-encoded images, a download for anything else.
"""

from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from resources.selectors import get_need_attachment
from resources.services.attachments import record_attachment_download


def _disposition(*, inline: bool, pk: int, ext: str, name: str) -> str:
    """RFC 6266 with an ASCII fallback and the UTF-8 name by RFC 5987 (quoted, so no quote,
    semicolon or line break of the name can end the header field)."""
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"attachment-{pk}.{ext}\"; filename*=UTF-8''{quote(name, safe='')}"


@login_required
@require_GET
def need_attachment(request, pk: int, attachment_pk: int):
    """One attachment of a need in the user's reach; 404 for anything else."""
    attachment = get_need_attachment(user=request.user, need_pk=pk, pk=attachment_pk)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    record_attachment_download(attachment=attachment, by=request.user)
    response = FileResponse(handle, content_type=attachment.content_type)
    name = attachment.download_name
    response["Content-Disposition"] = _disposition(
        inline=attachment.is_image, pk=attachment.pk, ext=name.rsplit(".", 1)[-1], name=name
    )
    response["Content-Length"] = str(attachment.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response

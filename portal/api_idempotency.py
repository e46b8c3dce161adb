"""``Idempotency-Key`` on POST: a retried request gets the first answer and changes nothing.

The first request with a key claims it (a row unique per client and key) before it runs, and
stores its answer when it is done. A retry with the same key and the same request replays the
stored answer (with ``Idempotent-Replayed: true``); the same key with another method, path or
body is a 409, and so is a retry that arrives while the first is still being served. Answers
of 5xx are not kept, so a request that failed on our side can be retried. Keys are kept for
``TTL``; after that the key may be used afresh.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.utils.encoders import JSONEncoder

from portal.errors import Conflict, InvalidInput
from portal.models import IdempotencyRecord, PartnerClient

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255


def fingerprint(*, method: str, path: str, body: bytes) -> str:
    """What makes two requests "the same request" for a key."""
    digest = hashlib.sha256()
    digest.update(method.upper().encode())
    digest.update(b"\n")
    digest.update(path.encode())
    digest.update(b"\n")
    digest.update(body)
    return digest.hexdigest()


def claim(
    *, client: PartnerClient, key: str, fingerprint: str, now: datetime | None = None
) -> IdempotencyRecord:
    """Claim ``key`` for a new request, or return the finished record to replay.

    Raises Conflict when the key was used for another request or its first use is still
    running.
    """
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            _("An Idempotency-Key is 1 to 255 characters."), field=HEADER, code="invalid_header"
        )
    now = now or timezone.now()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    client=client, key=key, fingerprint=fingerprint, created_at=now
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(client=client, key=key).first()
            if existing is None:
                continue  # the other request gave up its claim; try again
            if existing.created_at < now - TTL:
                existing.delete()
                continue
            if existing.fingerprint != fingerprint:
                raise Conflict(
                    _("This Idempotency-Key was already used for a different request."),
                    code="idempotency_key_reused",
                ) from None
            if existing.status_code is None:
                raise Conflict(
                    _("A request with this Idempotency-Key is still being processed."),
                    code="idempotency_in_progress",
                ) from None
            return existing
    raise Conflict(_("Could not claim the Idempotency-Key; please retry."), code="conflict")


def complete(record: IdempotencyRecord, *, status_code: int, data: object) -> None:
    """Keep the answer of the first request for its retries."""
    record.status_code = status_code
    record.response_body = json.dumps(data, cls=JSONEncoder, ensure_ascii=False)
    record.save(update_fields=["status_code", "response_body"])


def abandon(record: IdempotencyRecord) -> None:
    """Give the key up (the request failed on our side); a retry runs afresh."""
    IdempotencyRecord.objects.filter(pk=record.pk, status_code__isnull=True).delete()


def stored_data(record: IdempotencyRecord) -> object:
    return json.loads(record.response_body) if record.response_body else None


def purge_expired(*, now: datetime | None = None) -> int:
    """Delete records older than TTL; returns how many."""
    now = now or timezone.now()
    deleted, _rows = IdempotencyRecord.objects.filter(created_at__lt=now - TTL).delete()
    return deleted

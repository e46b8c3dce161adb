"""The hash-chained, append-only audit log.

Each event stores the previous event's hash and its own: SHA-256 over the previous hash and
the event's canonical content (sorted-key JSON). Appends are serialised through the single
``AuditHead`` row, locked for the length of the writing transaction, so the chain stays linear
under concurrency. ``verify_chain`` walks the log and reports the first broken link.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from portal.models import Area, AuditArchive, AuditEvent, AuditHead, User

GENESIS_HASH = "0" * 64


def event_content(event: AuditEvent) -> dict[str, Any]:
    """What an event's hash covers (besides the previous hash); also an archive line's body."""
    return {
        "seq": event.seq,
        "created_at": event.created_at.isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "area_id": event.area_id,
        "data": event.data,
    }


def canonical_json(content: dict[str, Any]) -> str:
    return json.dumps(
        content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )


def hash_content(prev_hash: str, content: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and the canonical JSON of an event's content."""
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(canonical_json(content).encode("utf-8"))
    return digest.hexdigest()


def compute_hash(event: AuditEvent) -> str:
    return hash_content(event.prev_hash, event_content(event))


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    # Round-trip so that what is hashed is exactly what the database gives back.
    return json.loads(json.dumps(data, ensure_ascii=False, default=str))


def record(
    *,
    action: str,
    actor: User | None = None,
    obj: models.Model | None = None,
    area: Area | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction."""
    with transaction.atomic():
        head, _created = AuditHead.objects.select_for_update().get_or_create(pk=1)
        actor_obj = actor if actor is not None and actor.is_authenticated else None
        event = AuditEvent(
            seq=head.last_seq + 1,
            created_at=timezone.now(),
            actor=actor_obj,
            actor_label=str(actor_obj) if actor_obj else "",
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            area=area,
            data=_json_safe(data or {}),
            prev_hash=head.last_hash,
        )
        event.hash = compute_hash(event)
        event.save()
        head.last_seq = event.seq
        head.last_hash = event.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return event


def history_for(obj: models.Model) -> models.QuerySet[AuditEvent]:
    """Events about one record, oldest first."""
    return (
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .select_related("actor")
        .order_by("seq")
    )


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    event_id: int
    reason: str


def chain_start() -> tuple[int, str, int]:
    """Where the events in the database must start: (first seq, its previous hash, archived).

    Events moved out by the retention job (portal.retention) are recorded as ``AuditArchive``
    rows; the database's chain continues from the latest one's last hash.
    """
    latest = AuditArchive.objects.order_by("-last_seq").first()
    if latest is None:
        return 1, GENESIS_HASH, 0
    return latest.last_seq + 1, latest.last_hash, latest.last_seq


def verify_chain(events: Iterable[AuditEvent] | None = None) -> tuple[int, ChainBreak | None]:
    """Walk the chain in order; return (events checked, first break or None).

    The walk starts after the archived events, at the link the latest archive recorded; the
    archive files themselves are checked by ``verify_archives``.
    """
    if events is None:
        events = AuditEvent.objects.order_by("seq").iterator(chunk_size=2000)
    expected_seq, expected_prev, archived = chain_start()
    checked = 0
    for event in events:
        if event.seq != expected_seq:
            return checked, ChainBreak(
                event.seq, event.pk, f"sequence gap: expected #{expected_seq}"
            )
        if event.prev_hash != expected_prev:
            return checked, ChainBreak(event.seq, event.pk, "previous-hash link does not match")
        if compute_hash(event) != event.hash:
            return checked, ChainBreak(event.seq, event.pk, "content does not match its hash")
        expected_prev = event.hash
        expected_seq += 1
        checked += 1
    last_seq = archived + checked
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.last_seq != last_seq or head.last_hash != expected_prev):
        return checked, ChainBreak(
            last_seq + 1, 0, f"chain ends at #{last_seq} but the head records #{head.last_seq}"
        )
    return checked, None

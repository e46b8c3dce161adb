"""Webhooks: the outbox, signed deliveries, retries with backoff, and partners' subscriptions.

``emit`` is called by the services inside the transaction of the change it reports: it writes
one event and one delivery per subscribed partner that may see the event's area, and queues
the first attempt after commit. Each attempt POSTs

    {"id": <event id>, "type": "need.created", "created_at": "...", "data": {...}}

with headers ``X-Baodao-Event``, ``X-Baodao-Delivery``, ``X-Baodao-Timestamp`` (Unix seconds)
and ``X-Baodao-Signature: sha256=<hex>``, the HMAC-SHA256 of ``"<timestamp>.<body>"`` under the
subscription's secret. A 2xx answer delivers it; anything else is tried again after 30 s, 1 min,
2 min, … (doubling, at most 2 h apart) until ``MAX_ATTEMPTS``, then the delivery is failed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.utils.encoders import JSONEncoder

from portal import audit
from portal.access import Action, can
from portal.errors import InvalidInput, NotFound
from portal.models import (
    Area,
    PartnerClient,
    PartnerScope,
    WebhookDelivery,
    WebhookEvent,
    WebhookEventType,
    WebhookSubscription,
)

logger = logging.getLogger("baodao.webhooks")

MAX_ATTEMPTS = 10
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=2)
# A first attempt whose queued task was lost is picked up by the sweep after this long.
FIRST_ATTEMPT_GRACE = timedelta(minutes=1)
TIMEOUT_SECONDS = 10

# What a partner must be allowed to read to receive each event: (its scope, the action it must
# hold in the event's area).
EVENT_ACCESS: dict[str, tuple[str, str]] = {
    WebhookEventType.NEED_CREATED: (PartnerScope.NEEDS_READ, Action.NEED_VIEW),
    WebhookEventType.NEED_STATUS_CHANGED: (PartnerScope.NEEDS_READ, Action.NEED_VIEW),
    WebhookEventType.MATCH_ACCEPTED: (PartnerScope.MATCHES_READ, Action.NEED_VIEW),
    WebhookEventType.PROJECT_COMPLETED: (PartnerScope.PROJECTS_READ, Action.PROJECT_VIEW),
}

Transport = Callable[[str, bytes, dict[str, str]], int]


def _urllib_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST and return the HTTP status; raises OSError on a network failure."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


# Replaced in tests; everything else goes through the real network.
transport: Transport = _urllib_post


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    """The value of X-Baodao-Signature for ``body`` sent at ``timestamp``."""
    message = f"{timestamp}.".encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    *, secret: str, timestamp: int, body: bytes, signature: str, now: int, tolerance: int = 300
) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret=secret, timestamp=timestamp, body=body), signature)


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: 30 s, 1 min, 2 min, … capped at 2 h."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def emit(
    *,
    event: str,
    area: Area,
    payload: dict | Callable[[], dict],
    now: datetime | None = None,
) -> WebhookEvent | None:
    """Record ``event`` in the outbox for every partner subscribed to it that may see ``area``.

    Call it inside the transaction of the change: the event and its deliveries commit or roll
    back with it, and the first attempts are queued only after commit. Returns the event, or
    None when nobody is subscribed.
    """
    scope_needed, action = EVENT_ACCESS[event]
    subscriptions = [
        sub
        for sub in WebhookSubscription.objects.filter(
            is_active=True, client__is_active=True
        ).select_related("client", "client__user")
        if event in (sub.events or [])
        and sub.client.has_scope(scope_needed)
        and can(sub.client.user, action, area=area)
    ]
    if not subscriptions:
        return None
    now = now or timezone.now()
    if callable(payload):
        payload = payload()
    from portal.tasks import deliver_webhook

    with transaction.atomic():
        outbox = WebhookEvent.objects.create(
            event_type=event, area=area, payload=payload, created_at=now
        )
        deliveries = WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(
                    event=outbox,
                    subscription=sub,
                    created_at=now,
                    next_attempt_at=now + FIRST_ATTEMPT_GRACE,
                )
                for sub in subscriptions
            ]
        )
        for delivery in deliveries:
            deliver_webhook.delay_on_commit(delivery.pk)
    return outbox


def envelope(event: WebhookEvent) -> bytes:
    """The body every subscriber of ``event`` receives."""
    document = {
        "id": event.pk,
        "type": event.event_type,
        "created_at": event.created_at,
        "data": event.payload,
    }
    return json.dumps(document, cls=JSONEncoder, ensure_ascii=False, sort_keys=True).encode()


def _claim_attempt(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("event", "subscription", "subscription__client")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status in (
            WebhookDelivery.Status.DELIVERED,
            WebhookDelivery.Status.FAILED,
        ):
            return None
        subscription = delivery.subscription
        if not (subscription.is_active and subscription.client.is_active):
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.last_error = "subscription switched off"
            delivery.next_attempt_at = None
            delivery.save(update_fields=["status", "last_error", "next_attempt_at"])
            return None
        delivery.attempts += 1
        delivery.last_attempt_at = now
        # Hold the next attempt back while this one is in flight.
        delivery.next_attempt_at = now + backoff(delivery.attempts)
        delivery.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at"])
        return delivery


def deliver(delivery_id: int, *, now: datetime | None = None) -> WebhookDelivery | None:
    """Make one attempt at a delivery (a no-op when it is delivered, failed or not yet due)."""
    now = now or timezone.now()
    delivery = _claim_attempt(delivery_id, now)
    if delivery is None:
        return None
    body = envelope(delivery.event)
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Baodao-Webhooks/1",
        "X-Baodao-Event": delivery.event.event_type,
        "X-Baodao-Delivery": str(delivery.pk),
        "X-Baodao-Timestamp": str(timestamp),
        "X-Baodao-Signature": sign(
            secret=delivery.subscription.secret, timestamp=timestamp, body=body
        ),
    }
    status_code: int | None = None
    error = ""
    try:
        status_code = transport(delivery.subscription.url, body, headers)
    except (OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    delivered = status_code is not None and 200 <= status_code < 300
    if delivered:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        delivery.last_error = ""
    else:
        error = error or f"HTTP {status_code}"
        delivery.last_error = error
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.next_attempt_at = None
            logger.warning("webhook delivery %s failed for good: %s", delivery.pk, error)
        else:
            delivery.status = WebhookDelivery.Status.RETRYING
            delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.last_status_code = status_code
    delivery.save(
        update_fields=[
            "status",
            "delivered_at",
            "next_attempt_at",
            "last_error",
            "last_status_code",
        ]
    )
    return delivery


def due_deliveries(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of deliveries waiting for an attempt whose time has come, oldest first."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING],
            next_attempt_at__lte=now,
        )
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def redeliver(
    *, delivery: WebhookDelivery, by=None, now: datetime | None = None
) -> WebhookDelivery:
    """Put a failed (or waiting) delivery back in line for an attempt now."""
    from portal.tasks import deliver_webhook

    now = now or timezone.now()
    with transaction.atomic():
        locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.status == WebhookDelivery.Status.DELIVERED:
            return locked
        locked.status = WebhookDelivery.Status.RETRYING
        locked.next_attempt_at = now
        if locked.attempts >= MAX_ATTEMPTS:
            locked.attempts = MAX_ATTEMPTS - 1
        locked.save(update_fields=["status", "next_attempt_at", "attempts"])
        audit.record(action="webhook.redeliver", actor=by, obj=locked, data={})
        deliver_webhook.delay_on_commit(locked.pk)
    return locked


def _check_subscription(url: str, events: Iterable[str]) -> list[str]:
    events = sorted(set(events))
    if not events:
        raise InvalidInput(_("Choose at least one event."), field="events")
    unknown = set(events) - set(WebhookEventType.values)
    if unknown:
        raise InvalidInput(
            _("Unknown events: %(events)s") % {"events": ", ".join(sorted(unknown))},
            field="events",
        )
    if getattr(settings, "PRODUCTION", False) and not url.startswith("https://"):
        raise InvalidInput(_("Webhook URLs must use https."), field="url")
    return events


def subscribe(
    *, client: PartnerClient, url: str, events: Iterable[str]
) -> tuple[WebhookSubscription, str]:
    """Subscribe ``client`` to ``events`` at ``url``; returns the subscription and its signing
    secret (shown once)."""
    events = _check_subscription(url, events)
    secret = secrets.token_hex(32)
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            client=client, url=url, events=events, secret=secret
        )
        audit.record(
            action="webhook.subscribed",
            actor=client.user,
            obj=subscription,
            data={"url": url, "events": events},
        )
    return subscription, secret


def unsubscribe(*, client: PartnerClient, subscription: WebhookSubscription) -> None:
    """Stop a subscription; its pending deliveries fail on their next attempt."""
    if subscription.client_id != client.pk:
        raise NotFound()
    with transaction.atomic():
        subscription.is_active = False
        subscription.save(update_fields=["is_active"])
        audit.record(action="webhook.unsubscribed", actor=client.user, obj=subscription, data={})


def need_payload(need) -> dict:
    """What a need event says about the need: no personal data."""
    return {
        "id": need.pk,
        "tracking_number": need.tracking_number,
        "status": need.status,
        "category": need.category.code,
        "community": need.community.code,
        "area": need.area.code,
        "urgency": need.urgency,
        "submitted_at": need.submitted_at.isoformat(),
        "due_at": need.due_at.isoformat(),
    }

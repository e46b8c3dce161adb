"""Webhooks: the outbox, signed deliveries, retries with backoff, and partners' subscriptions.

``emit`` is called by the services inside the transaction of the change it reports: it writes
one event and one delivery per subscribed partner that may see the event's area, and queues
the first attempt after commit. Each attempt POSTs

    {"id": <event id>, "type": "need.created", "created_at": "...", "data": {...}}

with headers ``X-Baodao-Event``, ``X-Baodao-Delivery``, ``X-Baodao-Timestamp`` (Unix seconds)
and ``X-Baodao-Signature: sha256=<hex>``, the HMAC-SHA256 of ``"<timestamp>.<body>"`` under the
subscription's secret. A 2xx answer delivers it; anything else (a redirect included: it is not
followed) is tried again after 30 s, 1 min, 2 min, … (doubling, at most 2 h apart) until
``MAX_ATTEMPTS``, then the delivery is failed.

Webhook URLs must be https and their host must resolve to public addresses only, checked when
subscribing and again before every attempt (the connection goes to the address that was
checked), so a partner cannot make the platform probe its internal network. ``last_error``
holds a short category, never the details of a network error.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

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
# An attempt in flight holds the delivery back at least this long (a worker lost mid-attempt).
IN_FLIGHT_HOLD = timedelta(minutes=2)

# What a partner must be allowed to read to receive each event: (its scope, the action it must
# hold in the event's area).
EVENT_ACCESS: dict[str, tuple[str, str]] = {
    WebhookEventType.NEED_CREATED: (PartnerScope.NEEDS_READ, Action.NEED_VIEW),
    WebhookEventType.NEED_STATUS_CHANGED: (PartnerScope.NEEDS_READ, Action.NEED_VIEW),
    WebhookEventType.MATCH_ACCEPTED: (PartnerScope.MATCHES_READ, Action.NEED_VIEW),
    WebhookEventType.PROJECT_COMPLETED: (PartnerScope.PROJECTS_READ, Action.PROJECT_VIEW),
}

Transport = Callable[[str, bytes, dict[str, str]], int]


class UnsafeDestination(ValueError):
    """A webhook URL that is not https or whose host is not (only) a public address."""

    def __init__(self, category: str):
        super().__init__(category)
        self.category = category


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def resolve_destination(url: str) -> tuple[str, int, list[str]]:
    """Host, port and resolved addresses of a webhook URL; raises UnsafeDestination unless it
    is https and every address its host resolves to is public."""
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError:
        raise UnsafeDestination("invalid URL") from None
    if parts.scheme != "https":
        raise UnsafeDestination("not https")
    host = parts.hostname
    if not host or parts.username is not None or parts.password is not None:
        raise UnsafeDestination("invalid URL")
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError):
        raise UnsafeDestination("host not found") from None
    addresses = []
    for _family, _type, _proto, _canonname, sockaddr in found:
        try:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        except ValueError:
            raise UnsafeDestination("address not allowed") from None
        if not _is_public(address):
            raise UnsafeDestination("address not allowed")
        addresses.append(str(address))
    if not addresses:
        raise UnsafeDestination("host not found")
    return host, port, addresses


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an address checked beforehand, with the URL's host for SNI and certificates."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _https_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST to a checked public address and return the HTTP status, redirects not followed;
    raises UnsafeDestination, or OSError on a network failure."""
    host, port, addresses = resolve_destination(url)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = _PinnedHTTPSConnection(host, port, address=addresses[0], timeout=TIMEOUT_SECONDS)
    try:
        connection.request("POST", target, body=body, headers=headers)
        return connection.getresponse().status
    except http.client.HTTPException as exc:
        raise ConnectionError("bad response") from exc
    finally:
        connection.close()


def _error_category(exc: Exception) -> str:
    """What ``last_error`` may tell the partner about a failed attempt: no internals."""
    if isinstance(exc, UnsafeDestination):
        return f"destination refused: {exc.category}"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ssl.SSLError):
        return "TLS error"
    return "connection failed"


# Replaced in tests; everything else goes through the real network.
transport: Transport = _https_post


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
    """Lock the delivery and take the next attempt if it is due (never tried yet, or its
    ``next_attempt_at`` has come) and still open; None otherwise. Taking it moves
    ``next_attempt_at`` on, so a second task for the same id (the sweep queuing it again while
    the queue lags, a late-ack redelivery) finds nothing to do."""
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
        first_attempt = delivery.attempts == 0
        due = delivery.next_attempt_at is not None and delivery.next_attempt_at <= now
        if not (first_attempt or due):
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
        delivery.next_attempt_at = now + max(backoff(delivery.attempts), IN_FLIGHT_HOLD)
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
        # Checked again at every attempt: what a name resolves to can change.
        resolve_destination(delivery.subscription.url)
        status_code = transport(delivery.subscription.url, body, headers)
    except (OSError, ValueError) as exc:
        logger.info("webhook delivery %s: %s: %s", delivery.pk, type(exc).__name__, exc)
        error = _error_category(exc)
    delivered = status_code is not None and 200 <= status_code < 300
    if delivered:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        delivery.last_error = ""
    else:
        if not error:
            redirect = status_code is not None and 300 <= status_code < 400
            error = f"HTTP {status_code}" + (" (redirect not followed)" if redirect else "")
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
    try:
        resolve_destination(url)
    except UnsafeDestination as exc:
        if exc.category == "not https":
            raise InvalidInput(_("Webhook URLs must use https."), field="url") from None
        if exc.category == "host not found":
            raise InvalidInput(_("The host of this URL cannot be found."), field="url") from None
        raise InvalidInput(
            _("Webhook URLs must point to a public internet address."), field="url"
        ) from None
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

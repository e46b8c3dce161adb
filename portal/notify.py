"""Notifications: the in-app inbox and the channels (console, email, SMS) that carry them.

``notify`` stores one ``Notification`` per recipient and event (``dedupe_key``), and sends a
notification through the configured channels only when its row is new, after the
surrounding transaction commits: a task that runs twice notifies nobody twice, and a channel
that fails (an SMS gateway down) never rolls back the work that raised the notification.

Text is not stored. It is rendered from ``kind`` and ``params`` through ``MESSAGES`` in the
reader's language: the inbox renders in the language of the page; channels render in the
site's default language (users carry no language preference). Params whose name ends in
``_at`` hold ISO datetimes and are shown as local "YYYY-MM-DD HH:MM".

Channels are listed by dotted path in ``settings.BAODAO_NOTIFICATION_CHANNELS``:

- ``portal.notify.ConsoleChannel`` (default): logs each message to the "baodao.notify" logger.
- ``portal.notify.EmailChannel``: ``django.core.mail.send_mail`` to the user's email, when
  they have one; links are made absolute with ``settings.BAODAO_SITE_URL`` when set.
- ``portal.notify.SmsChannel``: calls the gateway function named by the dotted path
  ``settings.BAODAO_SMS_GATEWAY`` as ``gateway(phone=..., message=...)`` for users with a
  phone; raises ``ImproperlyConfigured`` when that setting is empty.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from portal.errors import NotFound
from portal.models import Notification, User

logger = logging.getLogger("baodao.notify")

DEFAULT_CHANNELS = ["portal.notify.ConsoleChannel"]

# kind -> (subject, body); both are %-formatted with the notification's params.
MESSAGES: dict[str, tuple[Any, Any]] = {
    "need.escalated": (
        _("Need %(number)s escalated to %(area)s"),
        _(
            "Need %(number)s “%(title)s” from %(community)s was not accepted in time and has "
            "been escalated to %(area)s. Please accept it by %(due_at)s."
        ),
    ),
    "need.went_up": (
        _("Need %(number)s went up to %(area)s"),
        _(
            "Need %(number)s “%(title)s” was not accepted in time and has gone up to "
            "%(area)s, which must accept it by %(due_at)s."
        ),
    ),
    "need.due_soon": (
        _("Need %(number)s is due for acceptance soon"),
        _(
            "Need %(number)s “%(title)s” must be accepted by %(due_at)s, or it will be "
            "escalated to the street office."
        ),
    ),
}


class Channel:
    """Carries one rendered notification to one user outside the portal."""

    def send(self, *, recipient: User, subject: str, body: str, url: str) -> None:
        raise NotImplementedError


class ConsoleChannel(Channel):
    """Development default: writes each message to the "baodao.notify" log."""

    def send(self, *, recipient: User, subject: str, body: str, url: str) -> None:
        logger.info("to %s (#%s): %s | %s %s", recipient, recipient.pk, subject, body, url)


def _absolute(url: str) -> str:
    base = getattr(settings, "BAODAO_SITE_URL", "").rstrip("/")
    return f"{base}{url}" if url.startswith("/") and base else url


class EmailChannel(Channel):
    """Email through Django's configured mail backend; users without an email are skipped."""

    def send(self, *, recipient: User, subject: str, body: str, url: str) -> None:
        if not recipient.email:
            return
        text = f"{body}\n\n{_absolute(url)}" if url else body
        send_mail(subject, text, None, [recipient.email])


class SmsChannel(Channel):
    """SMS through a pluggable gateway function ``gateway(*, phone: str, message: str)``.

    The gateway is named by the dotted path in ``settings.BAODAO_SMS_GATEWAY``; users without
    a phone number are skipped.
    """

    def __init__(self) -> None:
        path = getattr(settings, "BAODAO_SMS_GATEWAY", "")
        if not path:
            raise ImproperlyConfigured(
                "SmsChannel needs settings.BAODAO_SMS_GATEWAY, the dotted path of a function "
                "gateway(*, phone, message)."
            )
        self.gateway = import_string(path)

    def send(self, *, recipient: User, subject: str, body: str, url: str) -> None:
        if not recipient.phone:
            return
        self.gateway(phone=recipient.phone, message=body)


def channels() -> list[Channel]:
    """Instances of the configured channels (a misconfigured channel fails loudly here)."""
    paths = getattr(settings, "BAODAO_NOTIFICATION_CHANNELS", DEFAULT_CHANNELS)
    return [import_string(path)() for path in paths]


def _display(name: str, value: Any) -> Any:
    if name.endswith("_at") and isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return f"{moment:%Y-%m-%d %H:%M}"
    return value


def render(notification: Notification) -> tuple[str, str]:
    """(subject, body) of ``notification`` in the active language."""
    try:
        subject, body = MESSAGES[notification.kind]
    except KeyError:
        return notification.kind, ""
    params = {name: _display(name, value) for name, value in notification.params.items()}
    try:
        return str(subject) % params, str(body) % params
    except (KeyError, TypeError, ValueError):
        # A message whose params changed since it was stored still shows something.
        logger.warning(
            "params of %s do not fit kind %s", notification.dedupe_key, notification.kind
        )
        return str(subject), ""


def _deliver(notifications: list[Notification]) -> None:
    try:
        active = channels()
    except Exception:
        logger.exception("notification channels are misconfigured; nothing sent")
        return
    with translation.override(settings.LANGUAGE_CODE):
        for notification in notifications:
            subject, body = render(notification)
            for channel in active:
                try:
                    channel.send(
                        recipient=notification.recipient,
                        subject=subject,
                        body=body,
                        url=notification.url,
                    )
                except Exception:
                    # One failed channel or recipient must not stop the others.
                    logger.exception(
                        "channel %s failed for %s (user #%s)",
                        type(channel).__name__,
                        notification.dedupe_key,
                        notification.recipient_id,
                    )


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    params: dict[str, Any],
    url: str = "",
    dedupe_key: str,
) -> int:
    """Notify each recipient once per ``dedupe_key``; returns how many were newly notified.

    Rows that already exist are left alone and not sent again. Channels are called after the
    surrounding transaction commits, and their failures are logged, never raised. Two calls
    racing on the same key outside a lock may both send; callers that must be exact (the
    escalation job) call this while holding a lock on the record the event is about.
    """
    if kind not in MESSAGES:
        raise ValueError(f"unknown notification kind {kind!r}")
    by_id = {user.pk: user for user in recipients if user is not None and user.is_active}
    if not by_id:
        return 0
    # No savepoint: inside a caller's transaction this is part of its unit of work.
    with transaction.atomic(savepoint=False):
        already = set(
            Notification.objects.filter(dedupe_key=dedupe_key, recipient_id__in=by_id).values_list(
                "recipient_id", flat=True
            )
        )
        new = [
            Notification(recipient=user, kind=kind, params=params, url=url, dedupe_key=dedupe_key)
            for pk, user in by_id.items()
            if pk not in already
        ]
        Notification.objects.bulk_create(new, ignore_conflicts=True)
        if new:
            transaction.on_commit(lambda: _deliver(new))
    return len(new)


# Reading one's own inbox. Marking a message read is the reader's own bookkeeping, not a
# business event, so it is not written to the audit log.


def inbox(*, user: User) -> QuerySet[Notification]:
    """The user's own notifications, unread first, newest first."""
    return Notification.objects.filter(recipient=user).order_by(
        F("read_at").asc(nulls_first=True), "-created_at", "-id"
    )


def unread_count(*, user: User) -> int:
    """How many of the user's notifications are unread (one query; 0 when signed out)."""
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(*, user: User, pk: int, now: datetime | None = None) -> Notification:
    """Mark one of the user's own notifications read; another user's id is not found."""
    notification = Notification.objects.filter(recipient=user, pk=pk).first()
    if notification is None:
        raise NotFound()
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(*, user: User, now: datetime | None = None) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )

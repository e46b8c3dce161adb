"""Services for partner clients: registration, API keys (issue, rotate, revoke), the check of a
presented key, and members' consent to share their service data with a partner.

An API key reads ``bd_<prefix>.<secret>``. The prefix is public and finds the key's row; only a
SHA-256 digest of the 256-bit random secret is stored, so a leaked database does not leak
working keys. (A slow password hash adds nothing for a secret of that entropy and would cost
every request a few hundred milliseconds.)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit
from portal.errors import Conflict, InvalidInput
from portal.models import (
    Area,
    PartnerClient,
    PartnerConsent,
    PartnerKey,
    PartnerScope,
    Role,
    RoleAssignment,
    User,
)

KEY_PREFIX = "bd_"
# last_used_at is written at most this often per key, so reads stay reads.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# Channels a partner system may enter needs through (resources.models.Channel minus "online",
# which is the resident's own form).
PARTNER_CHANNELS = ("phone", "visit", "council", "proxy")


@dataclass(frozen=True)
class IssuedKey:
    """A new key: ``key`` is the whole secret, to be shown once and never again."""

    record: PartnerKey
    key: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _new_key(client: PartnerClient, *, expires_at: datetime | None = None) -> IssuedKey:
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    record = PartnerKey.objects.create(
        client=client, prefix=prefix, secret_hash=_digest(secret), expires_at=expires_at
    )
    return IssuedKey(record=record, key=f"{KEY_PREFIX}{prefix}.{secret}")


def _validate(*, scopes: Iterable[str], areas: list[Area], channel: str) -> list[str]:
    scopes = sorted(set(scopes))
    unknown = set(scopes) - set(PartnerScope.values)
    if unknown:
        raise InvalidInput(
            _("Unknown scopes: %(scopes)s") % {"scopes": ", ".join(sorted(unknown))},
            field="scopes",
        )
    if not areas:
        raise InvalidInput(_("Choose at least one area the partner may reach."), field="areas")
    if channel not in PARTNER_CHANNELS:
        raise InvalidInput(
            _("Choose how needs from this partner reach the community."), field="channel"
        )
    return scopes


def register_client(
    *,
    name: str,
    areas: Iterable[Area],
    scopes: Iterable[str],
    by: User | None,
    channel: str = "proxy",
    rate_per_minute: int = 120,
    contact_email: str = "",
) -> tuple[PartnerClient, IssuedKey]:
    """Register a partner system: its service account, a partner role in each area it may
    reach, its scopes and its first API key (returned whole, once)."""
    areas = list(areas)
    scopes = _validate(scopes=scopes, areas=areas, channel=channel)
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Give the partner a name."), field="name")
    if PartnerClient.objects.filter(name=name).exists():
        raise Conflict(_("A partner with this name is already registered."), field="name")
    with transaction.atomic():
        user = User(username=f"partner-{secrets.token_hex(6)}", real_name=name)
        user.set_unusable_password()
        user.save()
        RoleAssignment.objects.bulk_create(
            [RoleAssignment(user=user, role=Role.PARTNER, area=area) for area in areas]
        )
        client = PartnerClient.objects.create(
            name=name,
            user=user,
            scopes=scopes,
            channel=channel,
            rate_per_minute=rate_per_minute,
            contact_email=contact_email,
            created_by=by,
        )
        issued = _new_key(client)
        audit.record(
            action="partner.registered",
            actor=by,
            obj=client,
            data={
                "name": name,
                "scopes": scopes,
                "areas": [area.code for area in areas],
                "key": issued.record.prefix,
            },
        )
    return client, issued


def update_client(
    *,
    client: PartnerClient,
    by: User | None,
    areas: Iterable[Area] | None = None,
    scopes: Iterable[str] | None = None,
    channel: str | None = None,
    rate_per_minute: int | None = None,
) -> PartnerClient:
    """Change what a partner may reach and do; takes effect on its next request."""
    with transaction.atomic():
        locked = PartnerClient.objects.select_for_update().get(pk=client.pk)
        current_areas = list(
            Area.objects.filter(
                role_assignments__user=locked.user, role_assignments__role=Role.PARTNER
            )
        )
        new_areas = list(areas) if areas is not None else current_areas
        new_scopes = _validate(
            scopes=locked.scopes if scopes is None else scopes,
            areas=new_areas,
            channel=channel or locked.channel,
        )
        data: dict[str, object] = {}
        if new_scopes != sorted(locked.scopes):
            data["scopes"] = [sorted(locked.scopes), new_scopes]
            locked.scopes = new_scopes
        if channel and channel != locked.channel:
            data["channel"] = [locked.channel, channel]
            locked.channel = channel
        if rate_per_minute and rate_per_minute != locked.rate_per_minute:
            data["rate_per_minute"] = [locked.rate_per_minute, rate_per_minute]
            locked.rate_per_minute = rate_per_minute
        if {a.pk for a in new_areas} != {a.pk for a in current_areas}:
            RoleAssignment.objects.filter(user=locked.user, role=Role.PARTNER).delete()
            RoleAssignment.objects.bulk_create(
                [RoleAssignment(user=locked.user, role=Role.PARTNER, area=a) for a in new_areas]
            )
            data["areas"] = [
                sorted(a.code for a in current_areas),
                sorted(a.code for a in new_areas),
            ]
        locked.save()
        if data:
            audit.record(action="partner.updated", actor=by, obj=locked, data=data)
    return locked


def rotate_key(
    *, client: PartnerClient, by: User | None, grace: timedelta = timedelta(0)
) -> IssuedKey:
    """Issue a new key; the client's other live keys stop working after ``grace``."""
    now = timezone.now()
    with transaction.atomic():
        live = PartnerKey.objects.filter(client=client, revoked_at__isnull=True)
        if grace:
            cutoff = now + grace
            live.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=cutoff)).update(
                expires_at=cutoff
            )
        else:
            live.update(revoked_at=now)
        issued = _new_key(client)
        audit.record(
            action="partner.key_rotated",
            actor=by,
            obj=client,
            data={"key": issued.record.prefix, "grace_seconds": int(grace.total_seconds())},
        )
    return issued


def revoke_key(*, key: PartnerKey, by: User | None) -> PartnerKey:
    """Stop one key working at once."""
    with transaction.atomic():
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            audit.record(
                action="partner.key_revoked", actor=by, obj=key.client, data={"key": key.prefix}
            )
    return key


def revoke_client(*, client: PartnerClient, by: User | None) -> PartnerClient:
    """Switch a partner off: every key stops working and its webhooks stop."""
    now = timezone.now()
    with transaction.atomic():
        client.is_active = False
        client.revoked_at = now
        client.save(update_fields=["is_active", "revoked_at"])
        client.keys.filter(revoked_at__isnull=True).update(revoked_at=now)
        client.webhook_subscriptions.update(is_active=False)
        audit.record(action="partner.revoked", actor=by, obj=client, data={"name": client.name})
    return client


def authenticate_key(raw: str, *, now: datetime | None = None) -> PartnerKey | None:
    """The live key ``raw`` stands for (with its client and service account), else None.

    Records the time of use, at most once a minute per key.
    """
    raw = (raw or "").strip()
    if not raw.startswith(KEY_PREFIX) or "." not in raw:
        return None
    prefix, _dot, secret = raw[len(KEY_PREFIX) :].partition(".")
    key = (
        PartnerKey.objects.select_related("client", "client__user")
        .filter(prefix=prefix, revoked_at__isnull=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.secret_hash, _digest(secret)):
        return None
    now = now or timezone.now()
    client = key.client
    if (key.expires_at and key.expires_at <= now) or not client.is_active:
        return None
    if not client.user.is_active:
        return None
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        PartnerKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def grant_consent(
    *, user: User, client: PartnerClient, now: datetime | None = None
) -> PartnerConsent:
    """A member lets ``client`` read their check-ins and service records. Idempotent."""
    with transaction.atomic():
        live = PartnerConsent.objects.filter(user=user, client=client, revoked_at__isnull=True)
        consent = live.first()
        if consent is None:
            consent = PartnerConsent.objects.create(
                user=user, client=client, granted_at=now or timezone.now()
            )
            audit.record(
                action="partner.consent_granted", actor=user, obj=client, data={"user": user.pk}
            )
    return consent


def revoke_consent(*, user: User, client: PartnerClient, now: datetime | None = None) -> int:
    """Withdraw a member's consent; returns how many live consents ended (0 or 1)."""
    with transaction.atomic():
        ended = PartnerConsent.objects.filter(
            user=user, client=client, revoked_at__isnull=True
        ).update(revoked_at=now or timezone.now())
        if ended:
            audit.record(
                action="partner.consent_revoked", actor=user, obj=client, data={"user": user.pk}
            )
    return ended


def client_areas(client: PartnerClient) -> list[Area]:
    """The areas a client was registered for (its partner role assignments)."""
    return list(
        Area.objects.filter(
            role_assignments__user_id=client.user_id, role_assignments__role=Role.PARTNER
        ).order_by("path")
    )


def consented(queryset, *, client: PartnerClient, user_path: str):
    """Narrow ``queryset`` to rows whose member (reached by ``user_path``) has a live consent
    to share their service data with ``client``."""
    live = PartnerConsent.objects.filter(
        client=client, revoked_at__isnull=True, user_id=OuterRef(f"{user_path}_id")
    )
    return queryset.filter(Exists(live))

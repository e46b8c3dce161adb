"""django-axes glue: what a failed sign-in counts against, the client's address, the lockout
page and the unlock service's key.

Sign-in accepts a username or a mobile number (``portal.auth.PhoneOrUsernameBackend``), so the
attempt is counted against the *account* whichever of the two was typed: the lockout key is
``user:<id>``. An unknown name gets a keyed hash instead, so the attempt log never stores a
phone number typed by somebody (the admin that shows it must not show residents' numbers).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from datetime import datetime, timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Q, Sum
from django.shortcuts import render
from django.utils import timezone

from portal.models import User


def account_key(user: User) -> str:
    """The key failed sign-ins of ``user`` are counted under."""
    return f"user:{user.pk}"


def unknown_key(login: str) -> str:
    """The key failed sign-ins under a name no account has are counted under (a keyed hash)."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), login.lower().encode(), hashlib.sha256
    ).hexdigest()
    return f"unknown:{digest[:16]}"


def lockout_key(request, credentials: dict | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the account key for the username or phone that was typed."""
    login = None
    if credentials:
        login = credentials.get("username")
    if login is None and request is not None:
        login = request.POST.get("username")
    if not login:
        return None
    login = str(login).strip()
    user = User.objects.filter(Q(username=login) | Q(phone=login)).only("pk").order_by("pk").first()
    return account_key(user) if user is not None else unknown_key(login)


def client_address(request) -> str | None:
    """The client's full address.

    REMOTE_ADDR, unless BAODAO_CLIENT_IP_HEADER names the header the trusted reverse proxy
    sets (e.g. ``X-Real-IP``). For a list header (``X-Forwarded-For``) the right-most entry is
    taken: the one our proxy appended, not one the client could have sent. Anything that is
    not an IP address is ignored.
    """
    header = getattr(settings, "BAODAO_CLIENT_IP_HEADER", "")
    if header:
        meta_key = "HTTP_" + header.upper().replace("-", "_")
        value = request.META.get(meta_key, "")
        candidate = value.split(",")[-1].strip() if value else ""
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR")


def client_ip(request) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the address failed sign-ins are counted against.

    An IPv4 address as it is; an IPv6 address as the first address of its /64, the block one
    subscriber usually holds whole (as ``portal.ratelimits.by_ip`` counts it): otherwise one
    client could rotate through its /64 and get five fresh tries from each address. The first
    address, not ``…/64``, so it still fits the attempt log's IP address column. An IPv4 client
    seen through a dual-stack socket (``::ffff:a.b.c.d``) counts as its IPv4 address.
    """
    value = client_address(request)
    try:
        address = ipaddress.ip_address(value or "")
    except ValueError:
        return value
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def cool_off() -> timedelta:
    value = settings.AXES_COOLOFF_TIME
    return value if isinstance(value, timedelta) else timedelta(hours=float(value))


def locked_until(*, key: str | None, ip: str | None) -> datetime | None:
    """When the lockout on the account ``key`` or the address ``ip`` ends, if there is one."""
    threshold = timezone.now() - cool_off()
    ends = []
    for condition in (Q(username=key) if key else None, Q(ip_address=ip) if ip else None):
        if condition is None:
            continue
        totals = AccessAttempt.objects.filter(condition, attempt_time__gte=threshold).aggregate(
            failures=Sum("failures_since_start"), last=Max("attempt_time")
        )
        if (totals["failures"] or 0) >= settings.AXES_FAILURE_LIMIT:
            ends.append(totals["last"] + cool_off())
    return max(ends) if ends else None


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: a page that says what happened, until when, and what to do."""
    until = locked_until(key=lockout_key(request, credentials), ip=client_ip(request))
    minutes = None
    if until is not None:
        minutes = max(1, int((until - timezone.now()).total_seconds() // 60) + 1)
    return render(
        request,
        "accounts/locked_out.html",
        {
            "until": until,
            "minutes": minutes,
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cool_off_minutes": int(cool_off().total_seconds() // 60),
        },
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )

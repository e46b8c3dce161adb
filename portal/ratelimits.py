"""Rate limits of the public pages: per client address and per a value the request names.

The counts live in the default cache (Redis in production, so every process shares them) through
django-ratelimit's ``get_usage``. A request over any of its limits gets a translated page with
status 429 and ``Retry-After``; nothing behind the limit runs.
"""

from __future__ import annotations

import functools
import ipaddress
import math
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage


def client_ip(request) -> str:
    """The client's address, as the sign-in lockout reads it: ``REMOTE_ADDR``, or the header a
    trusted reverse proxy sets when ``BAODAO_CLIENT_IP_HEADER`` names one (the right-most entry
    of a list). One rule for both, so a deployment configures its proxy once."""
    from portal.accounts.lockout import client_ip as lockout_client_ip

    value = lockout_client_ip(request) or ""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return "unknown"


@dataclass(frozen=True)
class Limit:
    """One limit: a name, the setting holding its rate, and how to read the key from a request.

    ``key`` returns None when the request carries nothing to count by (no phone given): that
    limit then does not apply and the others still do.
    """

    name: str
    rate_setting: str
    key: Callable[[object], str | None]


def seconds_to_wait(request, limits: tuple[Limit, ...]) -> int | None:
    """Count the request against each limit; the seconds to wait if any is exceeded.

    For views that are not plain Django views (the Open311 API answers with its own 429)."""
    waits = []
    for limit in limits:
        value = limit.key(request)
        if not value:
            continue
        usage = get_usage(
            request,
            group=f"baodao.{limit.name}",
            key=lambda _group, _request, value=value: value,
            rate=getattr(settings, limit.rate_setting),
            increment=True,
        )
        if usage is not None and usage["should_limit"]:
            waits.append(max(usage["time_left"], 1))
    return max(waits) if waits else None


def used_up(request, limit: Limit) -> int | None:
    """The seconds to wait when ``limit`` is already used up for this request's key, without
    counting the request; None while there is room (or no key).

    For limits that count only failures (wrong re-entered passwords): the view peeks first and
    refuses once the budget is spent, then counts with ``seconds_to_wait`` when it fails."""
    value = limit.key(request)
    if not value:
        return None
    usage = get_usage(
        request,
        group=f"baodao.{limit.name}",
        key=lambda _group, _request: value,
        rate=getattr(settings, limit.rate_setting),
        increment=False,
    )
    if usage is not None and usage["count"] >= usage["limit"]:
        return max(usage["time_left"], 1)
    return None


def too_many_requests(request, retry_after: int, *, wrong_passwords: bool = False):
    """The 429 page: what happened and when to try again. ``wrong_passwords`` for pages that
    re-check the signed-in person's password, where "this number" would read oddly."""
    minutes = max(1, math.ceil(retry_after / 60))
    if wrong_passwords:
        message = _("Too many wrong passwords. Please wait %(minutes)s minutes and try again.")
    else:
        message = _(
            "Too many attempts from your connection or for this number. "
            "Please wait %(minutes)s minutes and try again."
        )
    response = render(
        request,
        "portal/too_many_requests.html",
        {"message": message % {"minutes": minutes}, "minutes": minutes},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


def rate_limited(*limits: Limit, methods: tuple[str, ...] = ("POST",)):
    """Decorate a view: requests of ``methods`` count against every limit before it runs."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods:
                wait = seconds_to_wait(request, limits)
                if wait is not None:
                    return too_many_requests(request, wait)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def by_ip(request) -> str:
    """The client's address; for IPv6 its /64, which one subscriber usually holds whole."""
    ip = client_ip(request)
    if ":" in ip:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return ip


def by_posted(field: str, normalise: Callable[[str], str | None]) -> Callable[[object], str | None]:
    """A key read from a posted field, normalised (None when the field is unusable)."""

    def key(request) -> str | None:
        return normalise(request.POST.get(field, "") or "")

    return key


def phone_key(value: str) -> str | None:
    """A mainland mobile number as digits only, or None (the form will refuse it anyway)."""
    digits = "".join(ch for ch in value if ch.isascii() and ch.isdigit())
    return digits if len(digits) == 11 else None


def tracking_key(value: str) -> str | None:
    """A tracking number as the lookup reads it (trimmed, upper case), or None when empty."""
    value = value.strip().upper()[:40]
    return value or None

"""Rotating signed QR tokens for check-in.

A token names one time step of one activity: ``<step in hex>.<signature>``. The signature is
an HMAC over the activity id and the step, keyed with the activity's own ``token_secret`` and
the site's ``SECRET_KEY``, so a token cannot be forged and a token of one activity does not
open another. A token is accepted during its own step and the next one, which covers clock
skew and the seconds a member needs between scanning and tapping.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from portal.services import get_setting

_SALT = "reporting.checkin.token"
_SIGNATURE_CHARS = 16  # 96 bits of HMAC, URL-safe base64


def step_seconds(activity) -> int:
    """Seconds per token step for the activity's community (setting, default 30)."""
    return max(5, int(get_setting("checkin.token_step_seconds", area=activity.community)))


def step_at(activity, now: datetime, *, seconds: int | None = None) -> int:
    """The number of the time step ``now`` falls in."""
    return int(now.timestamp()) // (seconds or step_seconds(activity))


def _signature(activity, step: int) -> str:
    mac = salted_hmac(
        _SALT,
        f"{activity.pk}:{step}",
        secret=f"{activity.token_secret}:{settings.SECRET_KEY}",
        algorithm="sha256",
    ).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii")[:_SIGNATURE_CHARS]


def make_token(activity, step: int) -> str:
    """The token of ``activity`` for time step ``step``."""
    return f"{step:x}.{_signature(activity, step)}"


def token_for(activity, now: datetime) -> str:
    """The token to show now."""
    return make_token(activity, step_at(activity, now))


def checkin_url(activity, now: datetime) -> str:
    """Absolute path of the check-in page the QR code encodes now."""
    return reverse("reporting:checkin", args=[activity.pk, token_for(activity, now)])


@dataclass(frozen=True)
class TokenCheck:
    genuine: bool  # signed for this activity
    fresh: bool  # and of the current or the previous step

    @property
    def valid(self) -> bool:
        return self.genuine and self.fresh


def check_token(activity, token: str, now: datetime) -> TokenCheck:
    """Is ``token`` genuine for ``activity``, and fresh at ``now``?"""
    step_text, _dot, signature = (token or "").partition(".")
    try:
        step = int(step_text, 16)
    except ValueError:
        return TokenCheck(genuine=False, fresh=False)
    if step < 0 or not constant_time_compare(signature, _signature(activity, step)):
        return TokenCheck(genuine=False, fresh=False)
    current = step_at(activity, now)
    return TokenCheck(genuine=True, fresh=current - 1 <= step <= current)

"""Reads for the account security page."""

from __future__ import annotations

from axes.models import AccessLog
from django.db.models import QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.models import User


def recent_sign_ins(*, user: User, limit: int = 10) -> QuerySet[AccessLog]:
    """The last ``limit`` successful sign-ins of ``user`` (django-axes' access log).

    The log is keyed by username, which for members is their phone number, and numbers are
    reassigned: only sign-ins since the account was created count, so the new holder of a number
    never sees where and with what browser the previous holder signed in.
    """
    return AccessLog.objects.filter(
        username=user.get_username(), attempt_time__gte=user.date_joined
    ).order_by("-attempt_time")[:limit]


def has_confirmed_device(*, user: User) -> bool:
    """Has ``user`` a confirmed authenticator?"""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()

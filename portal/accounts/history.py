"""The sign-in history django-axes keeps about an account, and forgetting it on erasure."""

from __future__ import annotations

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.db import transaction

from portal.accounts.lockout import account_key, unknown_key
from portal.models import User


def _login_names(user: User) -> set[str]:
    return {name for name in (user.get_username(), user.phone) if name}


def forget_sign_in_history(*, user: User) -> int:
    """Delete the sign-in records of ``user``; the number of rows deleted.

    Successful sign-ins (``AccessLog``) are logged under the username, which for members is
    their phone number; failed ones (``AccessAttempt``, ``AccessFailureLog``) under the account
    key or, typed before the account existed, under a keyed hash of the name. Every record of
    the user's current username and phone goes, so neither the addresses and browsers they used
    nor the number outlive the account, and a later holder of the number starts with none.
    Call it before the username or phone is changed.
    """
    names = _login_names(user)
    keys = {account_key(user), *names, *(unknown_key(name) for name in names)}
    with transaction.atomic():
        deleted, _by_model = AccessLog.objects.filter(username__in=names).delete()
        for model in (AccessAttempt, AccessFailureLog):
            count, _by_model = model.objects.filter(username__in=keys).delete()
            deleted += count
    return deleted

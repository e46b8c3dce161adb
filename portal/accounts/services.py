"""Every write about an account's security, each in one transaction with its audit event."""

from __future__ import annotations

from axes.models import AccessAttempt
from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal import audit
from portal.accounts.lockout import account_key
from portal.accounts.policy import requires_two_factor
from portal.errors import Conflict, InvalidInput, PermissionDenied
from portal.models import User


def sign_out_everywhere(*, user: User, by: User, request=None) -> int:
    """End every session of ``user`` by raising its session epoch (part of the session hash).

    With ``request`` of the user themself, that one session is kept (re-hashed), the others
    end. Returns the new epoch.
    """
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
        user.refresh_from_db(fields=["session_epoch"])
        audit.record(
            action="account.signed_out_everywhere",
            actor=by,
            obj=user,
            data={"epoch": user.session_epoch, "kept_current": request is not None},
        )
    if request is not None and request.user.pk == user.pk:
        update_session_auth_hash(request, user)
    return user.session_epoch


def password_changed(*, user: User, request=None, reset: bool = False) -> None:
    """After ``user`` chose a new password (change form or reset link): the forced change is
    done, the other sessions have ended (the session hash follows the password), audited."""
    with transaction.atomic():
        was_forced = user.must_change_password
        if was_forced:
            User.objects.filter(pk=user.pk).update(must_change_password=False)
            user.must_change_password = False
        audit.record(
            action="account.password_reset" if reset else "account.password_changed",
            actor=user,
            obj=user,
            data={"was_initial": was_forced},
        )


def require_password_change(*, user: User, by: User, reason: str) -> None:
    """Mark ``user`` to choose their own password at the next sign-in (an initial password
    was set for them by someone else)."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(must_change_password=True)
        user.must_change_password = True
        audit.record(
            action="account.password_set_by_admin", actor=by, obj=user, data={"reason": reason}
        )


def unlock_account(*, user: User, by: User) -> int:
    """Lift the sign-in lockout of ``user`` (failed attempts counted under the account).
    Returns how many attempt records were cleared."""
    with transaction.atomic():
        cleared, _details = AccessAttempt.objects.filter(username=account_key(user)).delete()
        audit.record(action="account.unlocked", actor=by, obj=user, data={"cleared": cleared})
    return cleared


def clear_attempts_after_sign_in(*, user: User) -> None:
    """A correct password clears the account's failure count (not the address's: one good
    account must not reset an address that is guessing others)."""
    AccessAttempt.objects.filter(username=account_key(user)).delete()


# -- two-factor authentication -------------------------------------------------------------


def pending_totp_device(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator ``user`` is setting up; a new secret when there is none.

    Raises Conflict when a confirmed one exists (disable it first)."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise Conflict(_("Two-factor authentication is already set up."))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    return device


def confirm_totp_device(*, user: User, token: str, request) -> TOTPDevice:
    """Confirm the pending authenticator with a code from it; this session is verified."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        raise Conflict(_("Start the set-up again: no authenticator is waiting."))
    # Outside the transaction below: a wrong code's count and audit event must be kept.
    _check_token(device=device, token=token, user=user, purpose="setup")
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        audit.record(action="account.2fa_enabled", actor=user, obj=user, data={})
    otp_login(request, device)
    return device


def verify_second_factor(*, user: User, token: str, request) -> TOTPDevice:
    """Check a code against ``user``'s authenticator and mark this session verified."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        raise Conflict(_("Two-factor authentication is not set up."))
    _check_token(device=device, token=token, user=user, purpose="sign_in")
    audit.record(action="account.2fa_verified", actor=user, obj=user, data={})
    otp_login(request, device)
    return device


def _check_token(*, device: TOTPDevice, token: str, user: User, purpose: str) -> None:
    allowed, details = device.verify_is_allowed()
    if not allowed:
        raise InvalidInput(
            _("Too many wrong codes. Wait a moment before trying again."),
            field="token",
            code="throttled",
        )
    token = (token or "").strip().replace(" ", "")
    # verify_token counts a wrong code and backs off exponentially (django-otp throttling).
    if not (token.isdigit() and device.verify_token(token)):
        if not token.isdigit():
            device.throttle_increment(commit=True)
        audit.record(
            action="account.2fa_failed",
            actor=user,
            obj=user,
            data={"purpose": purpose, "failures": device.throttling_failure_count},
        )
        raise InvalidInput(
            _("That code is not right. Check your app and try again."), field="token"
        )


def reset_two_factor(*, user: User, by: User) -> None:
    """An administrator removes ``user``'s authenticators (lost phone) and ends their sessions;
    at the next sign-in they set up a new one (required roles) or sign in without."""
    with transaction.atomic():
        removed, _details = TOTPDevice.objects.filter(user=user).delete()
        audit.record(action="account.2fa_reset", actor=by, obj=user, data={"removed": removed})
    sign_out_everywhere(user=user, by=by)


def disable_two_factor(*, user: User, password: str) -> None:
    """Remove ``user``'s authenticators, after checking their password. Only for accounts
    that do not require a second factor."""
    if requires_two_factor(user):
        raise PermissionDenied(_("Your role requires two-factor authentication."))
    if not TOTPDevice.objects.filter(user=user).exists():
        raise Conflict(_("Two-factor authentication is not set up."))
    if not user.check_password(password):
        raise InvalidInput(_("The password is not right."), field="password")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        audit.record(action="account.2fa_disabled", actor=user, obj=user, data={})

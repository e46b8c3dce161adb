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


def _ensure_may_manage(*, user: User, by: User) -> None:
    # An operator who is not a superuser must not take over a superuser's account by resetting
    # its lockout, sessions or authenticator (the superuser's own actions are fine).
    if user.is_superuser and not by.is_superuser and by.pk != user.pk:
        raise PermissionDenied(_("Only a superuser may manage another superuser's account."))


def _raise_session_epoch(user: User) -> None:
    # In the database (F(), so concurrent bumps add up), then on ``user``: every session hashed
    # with the old epoch stops matching.
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


def sign_out_everywhere(*, user: User, by: User, request=None) -> int:
    """End every session of ``user`` by raising its session epoch (part of the session hash).

    With ``request`` of the user themself, that one session is kept (re-hashed), the others
    end. Returns the new epoch. Raises PermissionDenied when a non-superuser acts on a
    superuser.
    """
    _ensure_may_manage(user=user, by=by)
    with transaction.atomic():
        _raise_session_epoch(user)
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
    done, the other sessions have ended (the session hash follows the password), audited.

    A reset through the e-mailed link also lifts the account's sign-in lockout: the link proves
    the holder of the account's address, and the lockout page sends people there."""
    with transaction.atomic():
        was_forced = user.must_change_password
        if was_forced:
            User.objects.filter(pk=user.pk).update(must_change_password=False)
            user.must_change_password = False
        data = {"was_initial": was_forced}
        if reset:
            data["lockout_cleared"] = _clear_failed_attempts(user=user)
        audit.record(
            action="account.password_reset" if reset else "account.password_changed",
            actor=user,
            obj=user,
            data=data,
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
    Returns how many attempt records were cleared. Raises PermissionDenied when a
    non-superuser acts on a superuser."""
    _ensure_may_manage(user=user, by=by)
    with transaction.atomic():
        cleared = _clear_failed_attempts(user=user)
        audit.record(action="account.unlocked", actor=by, obj=user, data={"cleared": cleared})
    return cleared


def clear_attempts_after_sign_in(*, user: User) -> None:
    """A correct password clears the account's failure count (not the address's: one good
    account must not reset an address that is guessing others)."""
    _clear_failed_attempts(user=user)


def _clear_failed_attempts(*, user: User) -> int:
    # The account's count only (the key the lockout counts under), never the address's.
    cleared, _details = AccessAttempt.objects.filter(username=account_key(user)).delete()
    return cleared


# -- two-factor authentication -------------------------------------------------------------


# The unconfirmed authenticator this session is setting up: a secret shown to one session is
# confirmed only by that session, so a key copied elsewhere (by someone who has only the
# password) is never the one that ends up enrolled.
PENDING_DEVICE_KEY = "_baodao_pending_totp_device"


def start_totp_setup(*, user: User, session) -> TOTPDevice:
    """A new unconfirmed authenticator with a fresh secret for this ``session``; any other
    unconfirmed one of ``user`` (another session's, an earlier visit's) is removed.

    Raises Conflict when a confirmed one exists (disable it first)."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise Conflict(_("Two-factor authentication is already set up."))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    session[PENDING_DEVICE_KEY] = device.pk
    return device


def pending_totp_device(*, user: User, session) -> TOTPDevice:
    """The unconfirmed authenticator this ``session`` is setting up (to show its secret again
    after a wrong code); a new one when the session has none left.

    Raises Conflict when a confirmed one exists (disable it first)."""
    device = _session_device(user=user, session=session)
    return device if device is not None else start_totp_setup(user=user, session=session)


def _session_device(*, user: User, session) -> TOTPDevice | None:
    pk = session.get(PENDING_DEVICE_KEY)
    if pk is None:
        return None
    return TOTPDevice.objects.filter(pk=pk, user=user, confirmed=False).first()


def confirm_totp_device(*, user: User, token: str, request) -> TOTPDevice:
    """Confirm this session's pending authenticator with a code from it.

    This session is verified (under a new session key) and every other session of ``user``
    ends: one opened with the password alone must not outlive the second factor."""
    device = _session_device(user=user, session=request.session)
    if device is None:
        raise Conflict(_("Start the set-up again: no authenticator is waiting."))
    # Outside the transaction below: a wrong code's count and audit event must be kept.
    _check_token(device=device, token=token, user=user, purpose="setup")
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        _raise_session_epoch(user)
        audit.record(
            action="account.2fa_enabled",
            actor=user,
            obj=user,
            data={"epoch": user.session_epoch},
        )
    request.session.pop(PENDING_DEVICE_KEY, None)
    # Re-hashes this session (the others no longer match) and gives it a new key.
    update_session_auth_hash(request, user)
    otp_login(request, device)
    return device


def verify_second_factor(*, user: User, token: str, request) -> TOTPDevice:
    """Check a code against ``user``'s authenticator and mark this session verified, under a
    new session key (a key planted before sign-in must not become a verified session)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        raise Conflict(_("Two-factor authentication is not set up."))
    _check_token(device=device, token=token, user=user, purpose="sign_in")
    audit.record(action="account.2fa_verified", actor=user, obj=user, data={})
    request.session.cycle_key()
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
    at the next sign-in they set up a new one (required roles) or sign in without. Raises
    PermissionDenied when a non-superuser acts on a superuser."""
    _ensure_may_manage(user=user, by=by)
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
        raise InvalidInput(_("The password is not right."), field="password", code="wrong_password")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        audit.record(action="account.2fa_disabled", actor=user, obj=user, data={})

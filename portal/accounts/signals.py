"""Reactions to signing in (clear the account's failure count, prepare the session) and to role
changes (end the account's sessions)."""

from django.contrib.auth.signals import user_logged_in
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from portal.accounts.middleware import start_session
from portal.accounts.services import clear_attempts_after_sign_in
from portal.models import RoleAssignment, User


@receiver(user_logged_in, dispatch_uid="baodao_account_signed_in")
def on_signed_in(sender, request, user, **kwargs):
    clear_attempts_after_sign_in(user=user)
    if request is not None and hasattr(request, "session"):
        start_session(request, user)


def end_sessions_after_role_change(assignment: RoleAssignment) -> None:
    """Raise the session epoch of the assignment's user, ending every session of theirs.

    A session's policy (a staff session ends after 30 minutes idle) is decided when it starts,
    so a member given a worker's role signs in again and gets the staff policy (and, for roles
    that need it, two-factor set-up); a role taken away ends what it opened. Accounts that never
    signed in, or cannot (inactive), have no session to end and are left alone.
    """
    raised = User.objects.filter(
        pk=assignment.user_id, is_active=True, last_login__isnull=False
    ).update(session_epoch=F("session_epoch") + 1)
    if raised and RoleAssignment.user.is_cached(assignment):
        # Keep the caller's copy of the user in step, or its next save would undo the raise.
        assignment.user.refresh_from_db(fields=["session_epoch"])


@receiver(post_save, sender=RoleAssignment, dispatch_uid="baodao_role_granted")
def on_role_granted(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        end_sessions_after_role_change(instance)


@receiver(post_delete, sender=RoleAssignment, dispatch_uid="baodao_role_removed")
def on_role_removed(sender, instance, **kwargs):
    end_sessions_after_role_change(instance)

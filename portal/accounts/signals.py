"""Reactions to signing in: clear the account's failure count, prepare the session."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from portal.accounts.middleware import start_session
from portal.accounts.services import clear_attempts_after_sign_in


@receiver(user_logged_in, dispatch_uid="baodao_account_signed_in")
def on_signed_in(sender, request, user, **kwargs):
    clear_attempts_after_sign_in(user=user)
    if request is not None and hasattr(request, "session"):
        start_session(request, user)

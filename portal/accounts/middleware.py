"""Account rules applied to every signed-in request (after OTPMiddleware and messages).

1. Staff sessions end after BAODAO_STAFF_SESSION_IDLE_SECONDS idle (30 minutes). The session's
   expiry slides with activity (refreshed at most once a minute, to spare a write per
   request); the last activity is also kept in the session and checked here, so the rule
   holds whatever the session backend.
2. Two-factor authentication: an account that requires it and has no authenticator is sent to
   set one up; an account with an authenticator whose session has not given a code yet is sent
   to the verification page. Everything else, the admin site included, waits.
3. A password set by someone else (``must_change_password``) is changed before anything else.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from portal.accounts.policy import is_staff_account, requires_two_factor, staff_idle_seconds
from portal.accounts.selectors import has_confirmed_device

LAST_SEEN_KEY = "_baodao_last_seen"
STAFF_KEY = "_baodao_staff_session"
DEVICE_KEY = "_baodao_has_2fa_device"
REFRESH_SECONDS = 60

# Reached whatever the account's state: sign out, switch language, health checks, static files
# and the partner API (keys, not sessions).
_ALWAYS_OPEN_PREFIXES = ("/i18n/", "/healthz", "/api/", "/open311/")
_ALWAYS_OPEN_NAMES = ("logout",)


def start_session(request, user) -> None:
    """At sign-in: note what the session needs (called from the user_logged_in signal)."""
    session = request.session
    session[STAFF_KEY] = is_staff_account(user)
    if session[STAFF_KEY]:
        session[LAST_SEEN_KEY] = int(time.time())
        session.set_expiry(staff_idle_seconds())
    session[DEVICE_KEY] = has_confirmed_device(user=user)


class AccountSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not self._always_open(request):
            response = self._idle_expiry(request, user) or self._gate(request, user)
            if response is not None:
                return response
        return self.get_response(request)

    @staticmethod
    def _always_open(request) -> bool:
        # The fixed prefixes are paths inside the site (path_info); STATIC_URL and reverse()
        # are URLs, with the script prefix when the site is served under one (request.path).
        static = settings.STATIC_URL or "/static/"
        if request.path.startswith(static) or request.path_info.startswith(_ALWAYS_OPEN_PREFIXES):
            return True
        return request.path in {reverse(name) for name in _ALWAYS_OPEN_NAMES}

    def _idle_expiry(self, request, user):
        session = request.session
        now = int(time.time())
        if STAFF_KEY not in session:
            # A session started before the flag existed: decide once, then follow the flag. A
            # role granted or removed later ends the session (portal.accounts.signals), so the
            # next one is decided afresh.
            session[STAFF_KEY] = is_staff_account(user)
        if not session[STAFF_KEY]:
            return None
        idle = staff_idle_seconds()
        last_seen = session.get(LAST_SEEN_KEY)
        if last_seen is not None and now - int(last_seen) > idle:
            logout(request)
            messages.info(
                request,
                _("You were signed out after %(minutes)d minutes without activity.")
                % {"minutes": idle // 60},
            )
            return self._redirect(request, "login")
        if last_seen is None or now - int(last_seen) >= REFRESH_SECONDS:
            session[LAST_SEEN_KEY] = now
            session.set_expiry(idle)
        return None

    def _gate(self, request, user):
        verified = user.is_verified() if hasattr(user, "is_verified") else False
        if not verified:
            required = requires_two_factor(user)
            has_device = request.session.get(DEVICE_KEY)
            if required or has_device:
                # The session flag is a hint; the database decides.
                has_device = has_confirmed_device(user=user)
            if has_device:
                if request.path != reverse("two_factor_verify"):
                    return self._redirect(request, "two_factor_verify", keep_next=True)
                return None
            if required:
                if request.path != reverse("two_factor_setup"):
                    messages.info(
                        request, _("Your role requires two-factor authentication. Set it up now.")
                    )
                    return self._redirect(request, "two_factor_setup", keep_next=True)
                return None
        if user.must_change_password and request.path != reverse("password_change"):
            messages.info(request, _("Choose a password of your own before you continue."))
            return self._redirect(request, "password_change")
        return None

    @staticmethod
    def _redirect(request, name: str, *, keep_next: bool = False):
        url = reverse(name)
        if keep_next and request.method == "GET":
            url = f"{url}?{urlencode({'next': request.get_full_path()})}"
        # (django-htmx's middleware runs after this one: read the header itself.)
        if request.headers.get("HX-Request") == "true":
            return HttpResponseClientRedirect(url)
        return redirect(url)

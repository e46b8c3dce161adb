"""Account security pages: the overview, password change and reset, two-factor set-up,
verification and removal, and signing out everywhere. Thin: the writes are in services."""

from __future__ import annotations

from base64 import b32encode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from portal.accounts import selectors, services
from portal.accounts.forms import DisableTwoFactorForm, TokenForm
from portal.accounts.policy import requires_two_factor
from portal.errors import DomainError
from portal.ratelimits import (
    Limit,
    by_ip,
    by_posted,
    rate_limited,
    seconds_to_wait,
    too_many_requests,
    used_up,
)


def _next_url(request, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


@login_required
@never_cache
def security(request):
    """The holder's overview: password, two-factor status, sessions, recent sign-ins."""
    user = request.user
    return render(
        request,
        "accounts/security.html",
        {
            "has_device": selectors.has_confirmed_device(user=user),
            "two_factor_required": requires_two_factor(user),
            "sign_ins": list(selectors.recent_sign_ins(user=user)),
        },
    )


# Wrong passwords typed into the forms that ask for it again (password change, turning
# two-factor off) count per account: a stolen session must not become unlimited guessing
# (django-axes counts only sign-ins). At the limit every such form answers 429 until it passes.
PASSWORD_RECHECK_LIMIT = Limit(
    "password_recheck", "BAODAO_RATE_PASSWORD_RECHECK", lambda request: str(request.user.pk)
)


def _count_wrong_password(request) -> int | None:
    """Count a wrong re-entered password; the seconds to wait if that went over the limit."""
    return seconds_to_wait(request, (PASSWORD_RECHECK_LIMIT,))


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's change form; the current session stays, the others end (the session hash
    follows the password), and a forced change is cleared. Wrong current passwords are
    rate-limited per account."""

    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("account_security")

    def post(self, request, *args, **kwargs):
        wait = used_up(request, PASSWORD_RECHECK_LIMIT)
        if wait is not None:
            return too_many_requests(request, wait, wrong_passwords=True)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if form.has_error("old_password", "password_incorrect"):
            wait = _count_wrong_password(self.request)
            if wait is not None:
                return too_many_requests(self.request, wait, wrong_passwords=True)
        return super().form_invalid(form)

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(user=form.user, request=self.request)
        messages.success(
            self.request, _("Password changed. Your other sessions have been signed out.")
        )
        return response


def _email_key(value: str) -> str | None:
    value = value.strip().lower()
    return value[:254] if "@" in value else None


# Reset e-mails per client address and per address asked for, so the form can neither flood an
# inbox nor be used to try address after address.
PASSWORD_RESET_LIMITS = (
    Limit("password_reset.ip", "BAODAO_RATE_PASSWORD_RESET_IP", by_ip),
    Limit(
        "password_reset.email", "BAODAO_RATE_PASSWORD_RESET_EMAIL", by_posted("email", _email_key)
    ),
)


@method_decorator(rate_limited(*PASSWORD_RESET_LIMITS), name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    """Asks for an e-mail address; the same answer whether an account has it or not."""

    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link from the e-mail: valid for PASSWORD_RESET_TIMEOUT and only once (the token
    hashes the password, so setting one spends it)."""

    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(user=form.user, request=self.request, reset=True)
        return response


def _qr_svg(uri: str) -> str:
    # segno draws the provisioning URI as path geometry only; no user text reaches the markup.
    return mark_safe(  # noqa: S308
        segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff")
    )


@login_required
@never_cache
def two_factor_setup(request):
    """Show a new secret (QR code and text) and confirm it with a code from the app."""
    user = request.user
    if selectors.has_confirmed_device(user=user):
        messages.info(request, _("Two-factor authentication is already set up."))
        return redirect("account_security")
    form = TokenForm(request.POST or None)
    status = 200
    device = None
    if request.method == "POST":
        if form.is_valid():
            try:
                services.confirm_totp_device(
                    user=user, token=form.cleaned_data["token"], request=request
                )
            except DomainError as exc:
                form.add_error("token", exc.message)
            else:
                messages.success(request, _("Two-factor authentication is on."))
                return redirect(_next_url(request, reverse("account_security")))
        status = 400
        # The same secret again after a wrong code (the app already has it).
        device = services.pending_totp_device(user=user, session=request.session)
    else:
        # Every visit shows a new secret, for this session only.
        device = services.start_totp_setup(user=user, session=request.session)
    secret = b32encode(device.bin_key).decode("ascii")
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": _qr_svg(device.config_url),
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
            "required": requires_two_factor(user),
            "next": _next_url(request, ""),
        },
        status=status,
    )


@login_required
@never_cache
def two_factor_verify(request):
    """The second step of signing in: a code from the authenticator app."""
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request, settings.LOGIN_REDIRECT_URL))
    if not selectors.has_confirmed_device(user=user):
        return redirect("two_factor_setup")
    form = TokenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.verify_second_factor(
                    user=user, token=form.cleaned_data["token"], request=request
                )
            except DomainError as exc:
                form.add_error("token", exc.message)
            else:
                return redirect(_next_url(request, reverse(settings.LOGIN_REDIRECT_URL)))
        status = 400
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": _next_url(request, "")},
        status=status,
    )


@login_required
@never_cache
def two_factor_disable(request):
    """Turn two-factor authentication off, with the password; not for roles that require it."""
    user = request.user
    if requires_two_factor(user):
        return render(
            request,
            "error.html",
            {
                "message": _(
                    "Your role requires two-factor authentication; it cannot be turned off."
                )
            },
            status=403,
        )
    form = DisableTwoFactorForm(request.POST or None)
    status = 200
    if request.method == "POST":
        wait = used_up(request, PASSWORD_RECHECK_LIMIT)
        if wait is not None:
            return too_many_requests(request, wait, wrong_passwords=True)
        if form.is_valid():
            try:
                services.disable_two_factor(user=user, password=form.cleaned_data["password"])
            except DomainError as exc:
                if exc.code == "wrong_password":
                    wait = _count_wrong_password(request)
                    if wait is not None:
                        return too_many_requests(request, wait, wrong_passwords=True)
                form.add_error("password" if exc.field == "password" else None, exc.message)
            else:
                messages.success(request, _("Two-factor authentication is off."))
                return redirect("account_security")
        status = 400
    return render(request, "accounts/two_factor_disable.html", {"form": form}, status=status)


@login_required
@require_POST
def sign_out_everywhere(request):
    """End every other session of the account; this one stays signed in."""
    services.sign_out_everywhere(user=request.user, by=request.user, request=request)
    messages.success(request, _("All your other sessions have been signed out."))
    return redirect("account_security")

"""Account administration for the system administrator: unlock a sign-in lockout, sign a user
out everywhere, reset a lost authenticator, force a password change; audited through the
services. Also narrows what third-party admins show:

- django-otp's TOTP device admin is removed: it would show every user's secret key (and QR
  code) to the operator, who could then pass anybody's second factor.
- django-axes' sign-in logs name accounts by username, which for members is their mobile
  number (portal.admin must not show residents' numbers): the username is masked there.
- django-axes' failed attempts are read-only: deleting them would lift a lockout without an
  audit event; the audited *Unlock sign-in* action on users does that.

The account actions need the change permission on users (a view-only operator sees no
actions), and an operator who is not a superuser can neither change a superuser's account nor
unlock, sign out or reset its authenticator.
"""

from __future__ import annotations

from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import forms as auth_forms
from django.db.models import Exists, OuterRef
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp import admin as totp_admin  # noqa: F401  (registers first)
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal import audit
from portal.accounts import services
from portal.admin_base import ReadOnlyModelAdmin
from portal.errors import PermissionDenied
from portal.models import PHONE_RE, User, mask_phone, validate_mobile_phone


def masked_login(username: str) -> str:
    """A username as the admin may show it: a mobile number used as a username is masked."""
    return mask_phone(username) if username and PHONE_RE.match(username) else username


class UserChangeForm(auth_forms.UserChangeForm):
    """The admin's user form without the raw phone number: a new one may be typed instead."""

    new_phone = forms.CharField(
        label=_("new mobile number"),
        required=False,
        max_length=11,
        validators=[validate_mobile_phone],
        help_text=_("Leave empty to keep the current number (shown masked above)."),
    )

    def clean_new_phone(self) -> str:
        phone = self.cleaned_data.get("new_phone", "").strip()
        if phone and User.objects.filter(phone=phone).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("Another account uses this mobile number."))
        return phone


class AccountSecurityAdminMixin:
    """For the User admin: masked phone and login, two-factor status, and account actions."""

    actions = ("unlock_sign_in", "sign_out_everywhere", "reset_two_factor")

    def get_queryset(self, request):
        confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return super().get_queryset(request).annotate(has_two_factor=Exists(confirmed))

    def get_search_results(self, request, queryset, search_term):
        # A run of digits is a phone number being looked up (members sign in with theirs):
        # the operator manages accounts, not residents' numbers.
        if sum(ch.isdigit() for ch in search_term) >= 4:
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("username"), ordering="username")
    def username_display(self, obj) -> str:
        return masked_login(obj.username)

    @admin.display(description=_("two-factor"), boolean=True)
    def two_factor_display(self, obj) -> bool:
        if hasattr(obj, "has_two_factor"):
            return obj.has_two_factor
        return TOTPDevice.objects.filter(user=obj, confirmed=True).exists()

    def has_change_permission(self, request, obj=None):
        # A superuser's account is changed by superusers only (its password, e-mail, flags):
        # otherwise an operator could take over the account that outranks their own.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def _for_each(self, request, queryset, service) -> int:
        """Run ``service`` for every selected account the operator may manage; say which were
        refused. Returns how many were done."""
        done, refused = 0, []
        for user in queryset:
            try:
                service(user=user, by=request.user)
            except PermissionDenied:
                refused.append(masked_login(user.username))
            else:
                done += 1
        if refused:
            self.message_user(
                request,
                _("Only a superuser may manage a superuser's account; left unchanged: %(names)s")
                % {"names": ", ".join(refused)},
                messages.ERROR,
            )
        return done

    @admin.action(
        description=_("Unlock sign-in (lift a lockout after failed passwords)"),
        permissions=["change"],
    )
    def unlock_sign_in(self, request, queryset):
        if self._for_each(request, queryset, services.unlock_account):
            self.message_user(request, _("Sign-in unlocked."), messages.SUCCESS)

    @admin.action(description=_("Sign out everywhere (end every session)"), permissions=["change"])
    def sign_out_everywhere(self, request, queryset):
        count = self._for_each(request, queryset, services.sign_out_everywhere)
        if count:
            self.message_user(
                request,
                ngettext("%(n)d account signed out.", "%(n)d accounts signed out.", count)
                % {"n": count},
                messages.SUCCESS,
            )

    @admin.action(
        description=_("Reset two-factor authentication (lost phone)"), permissions=["change"]
    )
    def reset_two_factor(self, request, queryset):
        if self._for_each(request, queryset, services.reset_two_factor):
            self.message_user(
                request,
                _(
                    "Two-factor authentication reset: the account sets it up again at its next "
                    "sign-in."
                ),
                messages.SUCCESS,
            )

    def save_model(self, request, obj, form, change):
        new_phone = form.cleaned_data.get("new_phone") if change else None
        if new_phone:
            obj.phone = new_phone
        password_set_by_admin = not change and obj.has_usable_password()
        if password_set_by_admin:
            obj.must_change_password = True
        super().save_model(request, obj, form, change)
        if password_set_by_admin:
            audit.record(
                action="account.password_set_by_admin",
                actor=request.user,
                obj=obj,
                data={"reason": "created"},
            )

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        succeeded = (
            request.method == "POST"
            and isinstance(response, HttpResponseRedirect)
            and response.url != request.get_full_path()
        )
        if succeeded:
            target = self.get_object(request, id)
            if target is not None and target.pk != request.user.pk and target.has_usable_password():
                services.require_password_change(
                    user=target, by=request.user, reason="password_set"
                )
        return response


admin.site.unregister(TOTPDevice)
admin.site.unregister(AccessAttempt)
admin.site.unregister(AccessLog)
admin.site.unregister(AccessFailureLog)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(ReadOnlyModelAdmin, axes_admin.AccessAttemptAdmin):
    """Failed sign-ins counted against an account key (``user:<id>``) or an address; read-only:
    the records are evidence, and deleting them would lift a lockout unaudited.
    The posted form data (which holds the typed login, maybe a phone number) is not shown."""

    actions = ()
    fieldsets = (
        (None, {"fields": ("username", "path_info", "failures_since_start", "attempt_time")}),
        (_("Meta Data"), {"fields": ("user_agent", "ip_address", "http_accept")}),
    )


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyModelAdmin, axes_admin.AccessLogAdmin):
    """Successful sign-ins; read-only, usernames masked when they are phone numbers."""

    list_display = ("attempt_time", "logout_time", "ip_address", "login", "user_agent")
    search_fields = ["ip_address", "user_agent"]

    @admin.display(description=_("username"))
    def login(self, obj) -> str:
        return masked_login(obj.username)

    def get_object(self, request, object_id, from_field=None):
        # Read-only page: the masked name is what its fields and title show; nothing is saved.
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.username = masked_login(obj.username)
        return obj

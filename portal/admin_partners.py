"""Admin for partner systems: register a client (its key is shown once), change its areas and
scopes, rotate or revoke its keys; webhook subscriptions and deliveries with their status.

Every write goes through portal.api_clients / portal.webhooks, which audit it.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal import webhooks
from portal.api_clients import (
    PARTNER_CHANNELS,
    client_areas,
    register_client,
    revoke_client,
    rotate_key,
    update_client,
)
from portal.errors import DomainError
from portal.models import (
    Area,
    PartnerClient,
    PartnerConsent,
    PartnerKey,
    PartnerScope,
    WebhookDelivery,
    WebhookSubscription,
)


def _channel_choices():
    from resources.models import Channel

    labels = dict(Channel.choices)
    return [(value, labels[value]) for value in PARTNER_CHANNELS]


class PartnerClientForm(forms.ModelForm):
    areas = forms.ModelMultipleChoiceField(
        label=_("areas it may reach"),
        queryset=Area.objects.order_by("path"),
        help_text=_("The partner reaches each area and everything below it."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=PartnerScope.choices, widget=forms.CheckboxSelectMultiple
    )
    channel = forms.ChoiceField(label=_("intake channel"), choices=_channel_choices)

    class Meta:
        model = PartnerClient
        fields = ("name", "areas", "scopes", "channel", "rate_per_minute", "contact_email")


class PartnerKeyInline(admin.TabularInline):
    model = PartnerKey
    extra = 0
    can_delete = False
    fields = ("prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PartnerClient)
class PartnerClientAdmin(admin.ModelAdmin):
    form = PartnerClientForm
    list_display = ("name", "scope_list", "channel", "rate_per_minute", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "contact_email")
    readonly_fields = ("is_active", "revoked_at", "created_at", "created_by")
    inlines = (PartnerKeyInline,)
    actions = ("rotate_keys", "revoke_clients")

    @admin.display(description=_("scopes"))
    def scope_list(self, obj: PartnerClient) -> str:
        return ", ".join(obj.scopes)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            form.base_fields["areas"].initial = client_areas(obj)
            form.base_fields["name"].disabled = True
        return form

    def has_delete_permission(self, request, obj=None):
        # Audit events name the partner; revoke it instead.
        return False

    def _key_page(self, request, client: PartnerClient, key: str) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("API key for %(name)s") % {"name": client.name},
            "client": client,
            "key": key,
            "change_url": reverse("admin:portal_partnerclient_change", args=[client.pk]),
        }
        response = TemplateResponse(request, "admin/portal/partnerclient/key_issued.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            update_client(
                client=obj,
                by=request.user,
                areas=data["areas"],
                scopes=data["scopes"],
                channel=data["channel"],
                rate_per_minute=data["rate_per_minute"],
            )
            PartnerClient.objects.filter(pk=obj.pk).update(contact_email=data["contact_email"])
            return
        client, issued = register_client(
            name=data["name"],
            areas=data["areas"],
            scopes=data["scopes"],
            channel=data["channel"],
            rate_per_minute=data["rate_per_minute"],
            contact_email=data["contact_email"],
            by=request.user,
        )
        obj.pk = client.pk
        obj.user_id = client.user_id
        request._issued_partner_key = issued.key

    def save_related(self, request, form, formsets, change):
        # Areas and keys are written by the services; the key inline is read-only, so saving
        # its formset changes nothing (the admin's change message reads what it saved).
        for formset in formsets:
            formset.instance = PartnerClient.objects.get(pk=form.instance.pk)
            formset.save()

    def response_add(self, request, obj, post_url_continue=None):
        key = getattr(request, "_issued_partner_key", None)
        if key:
            return self._key_page(request, obj, key)
        return super().response_add(request, obj, post_url_continue)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return TemplateResponse(
                request,
                "admin/portal/partnerclient/key_issued.html",
                {**self.admin_site.each_context(request), "error": exc.message},
                status=exc.status,
            )

    @admin.action(description=_("Rotate the API key (the new key is shown once)"))
    def rotate_keys(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose exactly one partner."), messages.WARNING)
            return None
        client = queryset.get()
        issued = rotate_key(client=client, by=request.user)
        return self._key_page(request, client, issued.key)

    @admin.action(description=_("Revoke: every key and webhook stops at once"))
    def revoke_clients(self, request, queryset):
        for client in queryset:
            revoke_client(client=client, by=request.user)
        self.message_user(request, _("Revoked."), messages.SUCCESS)


@admin.register(PartnerConsent)
class PartnerConsentAdmin(admin.ModelAdmin):
    list_display = ("user", "client", "granted_at", "revoked_at")
    list_filter = ("client",)
    search_fields = ("user__real_name",)
    list_select_related = ("user", "client")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("client", "url", "event_list", "is_active", "created_at")
    list_filter = ("is_active", "client")
    list_select_related = ("client",)
    readonly_fields = ("client", "url", "events", "created_at")
    fields = ("client", "url", "events", "is_active", "created_at")

    @admin.display(description=_("events"))
    def event_list(self, obj: WebhookSubscription) -> str:
        return ", ".join(obj.events)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "event",
        "subscription",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "event__event_type", "subscription__client")
    list_select_related = ("event", "subscription", "subscription__client")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ("send_again",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send again now"))
    def send_again(self, request, queryset):
        for delivery in queryset:
            webhooks.redeliver(delivery=delivery, by=request.user)
        self.message_user(request, _("Queued again."), messages.SUCCESS)

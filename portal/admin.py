"""The Django admin for operators: the area tree, accounts and roles, and read-only views of
area settings and jobs.

Separation of duties: the system administrator manages accounts here but does not read
residents' personal data (phone numbers only masked, no ID numbers, addresses or locations)
and not the audit log either, which is read at /staff/audit/ by security auditors only.

The admin writes rows directly rather than through the services, so every add, change and
delete made here is itself appended to the audit chain (``admin.*`` events) by
``AuditedModelAdmin``. What has a lifecycle (need and project status, settings, the audit log)
is read-only here and changes only through the staff pages and their services.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from portal import audit
from portal.accounts.admin import AccountSecurityAdminMixin, UserChangeForm
from portal.admin_base import ReadOnlyModelAdmin
from portal.models import (
    Area,
    JobRun,
    RoleAssignment,
    ScheduledJob,
    Setting,
    User,
)


class AuditedModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose saves and deletes leave an event in the audit chain."""

    def audit_area(self, obj, *, deleting: bool = False) -> Area | None:
        """The area an event about ``obj`` belongs to (what decides who may read it)."""
        return None

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit.record(
            action="admin.changed" if change else "admin.added",
            actor=request.user,
            obj=obj,
            area=self.audit_area(obj),
            data={"fields": sorted(form.changed_data)},
        )

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.new_objects or formset.changed_objects or formset.deleted_objects:
            audit.record(
                action="admin.inline_changed",
                actor=request.user,
                obj=form.instance,
                area=self.audit_area(form.instance),
                data={
                    "model": formset.model._meta.label_lower,
                    "added": [str(o) for o in formset.new_objects],
                    "changed": {str(o): fields for o, fields in formset.changed_objects},
                    "deleted": [str(o) for o in formset.deleted_objects],
                },
            )

    def delete_model(self, request, obj):
        # Recorded first, while the object still has its id; the admin view is atomic.
        audit.record(
            action="admin.deleted",
            actor=request.user,
            obj=obj,
            area=self.audit_area(obj, deleting=True),
            data={"label": str(obj)},
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        # One event per row rather than a silent bulk delete.
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Area)
class AreaAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)
    ordering = ("path",)
    fields = ("code", "name", "level", "parent", "path", "latitude", "longitude")

    def get_readonly_fields(self, request, obj=None):
        # Recoding or moving an existing area would leave the materialised paths below it stale.
        if obj is not None:
            return ("code", "level", "parent", "path")
        return ("path",)

    def audit_area(self, obj, *, deleting=False):
        # The audit event must not pin the area it reports deleting.
        return obj.parent if deleting else obj


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ("area",)
    readonly_fields = ("created_at",)


@admin.register(User)
class BaodaoUserAdmin(AccountSecurityAdminMixin, AuditedModelAdmin, UserAdmin):
    form = UserChangeForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("Personal info"),
            {"fields": ("real_name", "masked_phone_display", "new_phone", "email")},
        ),
        (_("Security"), {"fields": ("must_change_password", "two_factor_display")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        (_("Personal info"), {"classes": ("wide",), "fields": ("real_name", "phone")}),
    )
    readonly_fields = ("masked_phone_display", "two_factor_display", "last_login", "date_joined")
    list_display = (
        "username_display",
        "real_name",
        "masked_phone_display",
        "two_factor_display",
        "is_staff",
        "is_active",
        "last_login",
    )
    list_display_links = ("username_display",)
    search_fields = ("username", "real_name", "email")
    list_filter = (*UserAdmin.list_filter, "role_assignments__role")
    inlines = (RoleAssignmentInline,)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.username != self.username_display(obj):
            # Members sign in with their mobile number: show it masked, not as an input.
            first_name, first = fieldsets[0]
            fields = tuple("username_display" if f == "username" else f for f in first["fields"])
            fieldsets = ((first_name, {**first, "fields": fields}), *fieldsets[1:])
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None and obj.username != self.username_display(obj):
            readonly = (*readonly, "username_display")
        return readonly

    def has_delete_permission(self, request, obj=None):
        # Audit events name their actor; deactivate an account (is_active) instead.
        return False

    @admin.display(description=_("mobile phone"))
    def masked_phone_display(self, obj: User) -> str:
        return obj.masked_phone


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(AuditedModelAdmin):
    list_display = ("user", "role", "area", "created_at")
    list_filter = ("role", "area__level")
    search_fields = ("user__real_name", "area__name", "area__code")
    autocomplete_fields = ("user", "area")
    list_select_related = ("user", "area")

    def audit_area(self, obj, *, deleting=False):
        return obj.area


# The audit chain (AuditEvent, AuditHead) is deliberately not in the admin: nobody may add,
# change or delete an event, and only security auditors read it, at /staff/audit/.


@admin.register(Setting)
class SettingAdmin(ReadOnlyModelAdmin):
    """Read-only: settings change on the staff settings page, through the audited service."""

    list_display = ("key", "area", "year", "value", "updated_at", "updated_by")
    list_filter = ("key",)
    search_fields = ("key", "area__name", "area__code")
    list_select_related = ("area", "updated_by")


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyModelAdmin):
    """Every run of every background job; filter by status to find the failed ones."""

    list_display = ("job", "area", "run_key", "status", "attempts", "started_at", "finished_at")
    list_filter = ("status", "job", "trigger")
    search_fields = ("job", "run_key", "area__name", "error", "task_id")
    date_hierarchy = "started_at"
    list_select_related = ("area",)


@admin.register(ScheduledJob)
class ScheduledJobAdmin(AuditedModelAdmin):
    """The beat schedule: the running beat rereads this table within a minute."""

    list_display = ("name", "task", "cron", "enabled", "last_run_at", "total_run_count")
    list_editable = ("enabled",)
    list_filter = ("enabled",)
    readonly_fields = ("last_run_at", "total_run_count", "updated_at")
    fields = (
        "name",
        "task",
        "description",
        ("minute", "hour", "day_of_month", "month_of_year", "day_of_week"),
        "kwargs",
        "enabled",
        "last_run_at",
        "total_run_count",
        "updated_at",
    )

    def audit_area(self, obj, *, deleting=False):
        return None


# Partner systems and webhooks (the API), and the retention archives, have their own modules.
from portal import admin_partners, admin_privacy  # noqa: E402, F401

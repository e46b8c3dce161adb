"""The Django admin for the three lists.

Operators may correct the descriptive fields of a record here (each save is audited by
``AuditedModelAdmin``). Needs and projects are created, and change status, only through their
services: the admin cannot add them, and their status, timestamps and progress are read-only.
Requesters' and contacts' names and phone numbers are shown masked only, addresses not at all
(DOMAIN.md: every reveal is logged, and the staff need page logs it); the operator manages the
system, not residents' personal data.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal.admin import AuditedModelAdmin
from portal.models import mask_name
from resources.models import (
    BudgetLine,
    Milestone,
    Need,
    NeedCategory,
    Project,
    ProjectTask,
    Resource,
)


@admin.register(NeedCategory)
class NeedCategoryAdmin(AuditedModelAdmin):
    list_display = ("name", "code", "parent", "sort_order", "is_active")
    list_editable = ("sort_order", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name")
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)


NEED_STATUS_FIELDS = (
    "status",
    "submitted_at",
    "due_at",
    "accepted_at",
    "matched_at",
    "started_at",
    "resolved_at",
    "evaluated_at",
    "closed_at",
    "close_reason",
    "resolution",
    "evaluation_note",
    "merged_into",
)


@admin.register(Need)
class NeedAdmin(AuditedModelAdmin):
    list_display = (
        "tracking_number",
        "title",
        "category",
        "community",
        "status",
        "urgency",
        "channel",
        "masked_name_display",
        "masked_phone_display",
        "submitted_at",
        "due_at",
    )
    list_filter = ("status", "channel", "urgency", "target_group", "category")
    search_fields = ("tracking_number", "title")
    list_select_related = ("category", "community")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "tracking_number",
                    "title",
                    "description",
                    "category",
                    "target_group",
                    "urgency",
                )
            },
        ),
        (
            _("Requester"),
            {"fields": ("masked_name_display", "masked_phone_display", "channel", "created_by")},
        ),
        (_("Where"), {"fields": ("community", "grid")}),
        (_("Status"), {"fields": (*NEED_STATUS_FIELDS, "updated_at")}),
    )
    readonly_fields = (
        "tracking_number",
        "masked_name_display",
        "masked_phone_display",
        "channel",
        "created_by",
        "community",
        "grid",
        *NEED_STATUS_FIELDS,
        "updated_at",
    )

    @admin.display(description=_("requester's phone"))
    def masked_phone_display(self, obj: Need) -> str:
        return obj.masked_phone

    @admin.display(description=_("requester's name"))
    def masked_name_display(self, obj: Need) -> str:
        return mask_name(obj.requester_name)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # A need's history lives in the audit chain; close it as rejected instead.
        return False

    def audit_area(self, obj, *, deleting=False):
        return obj.area


@admin.register(Resource)
class ResourceAdmin(AuditedModelAdmin):
    list_display = (
        "name",
        "kind",
        "tier",
        "provider_type",
        "provider_name",
        "area",
        "capacity",
        "status",
        "masked_contact_name_display",
        "masked_contact_phone_display",
    )
    list_filter = ("status", "kind", "tier", "provider_type", "categories")
    search_fields = ("name", "provider_name")
    autocomplete_fields = ("area", "categories")
    list_select_related = ("area",)
    # The contact person's name and number are corrected on the staff resource page.
    exclude = ("contact_name", "contact_phone")
    readonly_fields = (
        "masked_contact_name_display",
        "masked_contact_phone_display",
        "created_by",
        "created_at",
        "updated_at",
    )

    @admin.display(description=_("contact phone"))
    def masked_contact_phone_display(self, obj: Resource) -> str:
        return obj.masked_contact_phone

    @admin.display(description=_("contact person"))
    def masked_contact_name_display(self, obj: Resource) -> str:
        return mask_name(obj.contact_name)

    def audit_area(self, obj, *, deleting=False):
        return obj.area


class ProjectTaskInline(admin.TabularInline):
    model = ProjectTask
    extra = 0
    fields = ("title", "owner", "owner_name", "start_date", "due_date", "progress", "completed_at")
    # Progress is reported on the project page, audited, through update_task_progress.
    readonly_fields = ("progress", "completed_at")
    autocomplete_fields = ("owner",)


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ("title", "due_date", "reached_at")
    readonly_fields = ("reached_at",)


class BudgetLineInline(admin.TabularInline):
    model = BudgetLine
    extra = 0
    fields = ("item", "amount", "spent")


@admin.register(Project)
class ProjectAdmin(AuditedModelAdmin):
    list_display = (
        "title",
        "area",
        "owner",
        "status",
        "planned_start",
        "planned_end",
        "contingency_rate",
    )
    list_filter = ("status",)
    search_fields = ("title", "area__name", "area__code")
    autocomplete_fields = ("area", "owner", "needs", "resources")
    list_select_related = ("area", "owner")
    readonly_fields = (
        "status",
        "approved_at",
        "started_at",
        "completed_at",
        "evaluated_at",
        "cancel_reason",
        "created_by",
        "created_at",
        "updated_at",
    )
    inlines = (ProjectTaskInline, MilestoneInline, BudgetLineInline)

    def has_add_permission(self, request):
        # create_project checks the owner, the community of its needs and the contingency.
        return False

    def audit_area(self, obj, *, deleting=False):
        return obj.area

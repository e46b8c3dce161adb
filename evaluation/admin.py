"""Read-only admin views of points and the rewards shop: they change only through the services
(and their pages), which keep balances, stock and the audit chain in step."""

from django.contrib import admin

from evaluation.models import PointAccount, PointEntry, PointRule, Redemption, Reward
from portal.admin import ReadOnlyModelAdmin


@admin.register(PointRule)
class PointRuleAdmin(ReadOnlyModelAdmin):
    list_display = ["event", "area", "year", "points", "daily_cap", "active", "updated_at"]
    list_filter = ["event", "active"]
    list_select_related = ["area"]


@admin.register(PointEntry)
class PointEntryAdmin(ReadOnlyModelAdmin):
    list_display = ["source_key", "member", "unit", "event", "points", "occurred_on", "community"]
    list_filter = ["event"]
    search_fields = ["source_key"]
    list_select_related = ["member__user", "unit", "community"]
    date_hierarchy = "occurred_on"


@admin.register(PointAccount)
class PointAccountAdmin(ReadOnlyModelAdmin):
    list_display = ["__str__", "balance", "updated_at"]
    list_select_related = ["member__user", "unit"]


@admin.register(Reward)
class RewardAdmin(ReadOnlyModelAdmin):
    list_display = ["name", "community", "points_cost", "stock", "active"]
    list_filter = ["active"]
    search_fields = ["name"]
    list_select_related = ["community"]


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyModelAdmin):
    list_display = ["reward", "member", "points", "status", "requested_at", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["reward", "member__user"]
    exclude = ["idempotency_key"]

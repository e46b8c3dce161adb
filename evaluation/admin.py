"""Read-only admin views of points and the rewards shop: they change only through the services
(and their pages), which keep balances, stock and the audit chain in step."""

from django.contrib import admin

from evaluation.models import (
    EvaluationAdjustment,
    EvaluationPublication,
    EvaluationResult,
    EvaluationScheme,
    Export,
    KpiDaily,
    PointAccount,
    PointEntry,
    PointRule,
    Rating,
    Redemption,
    Reward,
)
from portal.admin_base import ReadOnlyModelAdmin


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


# -- ratings and the annual evaluation (changed only through their services and pages) ---------


@admin.register(Rating)
class RatingAdmin(ReadOnlyModelAdmin):
    list_display = ["__str__", "community", "stars", "rater_key", "created_at"]
    list_filter = ["stars"]
    list_select_related = ["activity", "project", "community"]


@admin.register(EvaluationScheme)
class EvaluationSchemeAdmin(ReadOnlyModelAdmin):
    list_display = ["area", "year", "weight_satisfaction", "pass_mark", "updated_at"]
    list_select_related = ["area"]


@admin.register(EvaluationResult)
class EvaluationResultAdmin(ReadOnlyModelAdmin):
    list_display = ["year", "__str__", "street", "final_score", "street_rank", "street_standing"]
    list_filter = ["year", "street_standing"]
    list_select_related = ["member__user", "unit", "street"]


@admin.register(EvaluationAdjustment)
class EvaluationAdjustmentAdmin(ReadOnlyModelAdmin):
    list_display = ["year", "__str__", "reason", "created_by", "created_at"]
    list_select_related = ["member__user", "unit", "created_by"]


@admin.register(EvaluationPublication)
class EvaluationPublicationAdmin(ReadOnlyModelAdmin):
    list_display = ["street", "year", "published_at", "published_by"]
    list_select_related = ["street", "published_by"]


@admin.register(KpiDaily)
class KpiDailyAdmin(ReadOnlyModelAdmin):
    list_display = ["day", "area", "kpi", "numerator", "denominator", "value", "computed_at"]
    list_filter = ["kpi", "area__level"]
    date_hierarchy = "day"
    list_select_related = ["area"]


@admin.register(Export)
class ExportAdmin(ReadOnlyModelAdmin):
    list_display = ["created_at", "kind", "area", "requested_by", "status", "progress", "filename"]
    list_filter = ["kind", "status"]
    list_select_related = ["area", "requested_by"]

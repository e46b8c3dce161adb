from django.urls import include, path

from evaluation.views import member, shop, staff

app_name = "evaluation"

urlpatterns = [
    # Members and unit contacts.
    path("me/points/", member.my_points, name="my_points"),
    path("me/points/units/<int:pk>/", member.unit_points, name="unit_points"),
    path("me/points/redeem/<int:pk>/", member.redeem, name="redeem"),
    path(
        "me/points/redemptions/<int:pk>/cancel/",
        member.cancel_own_redemption,
        name="cancel_own_redemption",
    ),
    # Staff.
    path("staff/points/", staff.ledger, name="ledger"),
    path("staff/points/rules/", staff.rules, name="rules"),
    path("staff/rewards/", shop.reward_list, name="reward_list"),
    path("staff/rewards/new/", shop.reward_create, name="reward_create"),
    path("staff/rewards/<int:pk>/edit/", shop.reward_edit, name="reward_edit"),
    path("staff/rewards/redemptions/", shop.redemption_queue, name="redemption_queue"),
    path(
        "staff/rewards/redemptions/<int:pk>/confirm/",
        shop.redemption_act,
        {"action": "confirm"},
        name="redemption_confirm",
    ),
    path(
        "staff/rewards/redemptions/<int:pk>/cancel/",
        shop.redemption_act,
        {"action": "cancel"},
        name="redemption_cancel",
    ),
    # Annual evaluation, ratings, evaluation exports, public disclosure.
    path("", include("evaluation.urls_annual")),
    # KPI dashboards and report exports.
    path("", include("evaluation.urls_kpi")),
]

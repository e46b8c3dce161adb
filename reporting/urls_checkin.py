from django.urls import path

from reporting.views import checkin as views

urlpatterns = [
    path("c/<int:activity_id>/<str:token>/", views.checkin, name="checkin"),
    path("me/location-consent/", views.location_consent, name="location_consent"),
    path("me/checkins/", views.my_checkins, name="my_checkins"),
    path("me/hours/", views.my_hours, name="my_hours"),
    path("staff/activities/<int:pk>/qr/", views.activity_qr, name="activity_qr"),
    path("staff/activities/<int:pk>/qr/code/", views.activity_qr_code, name="activity_qr_code"),
    path(
        "staff/activities/<int:pk>/attendance/",
        views.activity_attendance,
        name="activity_attendance",
    ),
    path(
        "staff/activities/<int:pk>/attendance/proxy/",
        views.activity_proxy_checkin,
        name="activity_proxy_checkin",
    ),
    path("staff/checkins/<int:pk>/confirm/", views.checkin_confirm, name="checkin_confirm"),
    path("staff/checkins/<int:pk>/correct/", views.checkin_correct, name="checkin_correct"),
    path("staff/checkins/<int:pk>/void/", views.checkin_void, name="checkin_void"),
    path("staff/anomalies/", views.anomalies, name="anomalies"),
]

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import views, views_jobs, views_notifications, views_privacy

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("portal.accounts.urls")),
    path("account/data/", views_privacy.my_data, name="account_data"),
    path("account/erasure/", views_privacy.erasure, name="account_erasure"),
    path("staff/access/", views.access_matrix, name="access_matrix"),
    path("staff/audit/", views.audit_log, name="audit_log"),
    path("staff/settings/", views.area_settings, name="area_settings"),
    path("staff/jobs/", views_jobs.job_runs, name="job_runs"),
    path("notifications/", views_notifications.inbox, name="notifications"),
    path(
        "notifications/<int:pk>/open/",
        views_notifications.open_notification,
        name="notification_open",
    ),
    path("notifications/read-all/", views_notifications.read_all, name="notifications_read_all"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("portal.api")),
    path("open311/v2/", include("portal.api_open311")),
    path("", include("resources.urls")),
    path("", include("reporting.urls")),
    path("", include("evaluation.urls")),
]

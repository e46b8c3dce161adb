from django.urls import path

from reporting.views import activities

urlpatterns = [
    path("staff/activities/", activities.activity_list, name="activity_list"),
    path("staff/activities/new/", activities.activity_create, name="activity_create"),
    path("staff/activities/<int:pk>/", activities.activity_detail, name="activity_detail"),
    path("staff/activities/<int:pk>/edit/", activities.activity_edit, name="activity_edit"),
    path("staff/activities/<int:pk>/cancel/", activities.activity_cancel, name="activity_cancel"),
    path("me/", activities.member_home, name="member_home"),
    path("me/activities/<int:pk>/", activities.member_activity, name="member_activity"),
    path("me/activities/<int:pk>/sign-up/", activities.signup, name="signup"),
    path("me/activities/<int:pk>/cancel/", activities.signup_cancel, name="signup_cancel"),
]

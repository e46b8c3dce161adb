from django.urls import path

from reporting.views import enrollment

urlpatterns = [
    # Party members and unit admins.
    path("me/enrollments/", enrollment.my_enrollments, name="my_enrollments"),
    path("me/enrollments/new/", enrollment.enroll, name="enroll"),
    path(
        "me/enrollments/<int:pk>/withdraw/",
        enrollment.enrollment_withdraw,
        name="enrollment_withdraw",
    ),
    # Staff.
    path("staff/enrollments/", enrollment.enrollment_list, name="enrollment_list"),
    path("staff/enrollments/<int:pk>/", enrollment.enrollment_detail, name="enrollment_detail"),
    path(
        "staff/enrollments/<int:pk>/act/<slug:action>/",
        enrollment.enrollment_act,
        name="enrollment_act",
    ),
]

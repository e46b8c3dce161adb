from django.urls import path

from portal.accounts import views

urlpatterns = [
    path("account/security/", views.security, name="account_security"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "account/sign-out-everywhere/",
        views.sign_out_everywhere,
        name="account_sign_out_everywhere",
    ),
    path("account/2fa/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("account/2fa/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("account/2fa/disable/", views.two_factor_disable, name="two_factor_disable"),
    path("accounts/password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password-reset/sent/",
        views.auth_views.PasswordResetDoneView.as_view(
            template_name="registration/password_reset_done.html"
        ),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        views.auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]

from django.contrib.auth import views as auth_views
from django.urls import path

from agency.team import views, views_auth, views_security
from agency.team.forms import AgencyPasswordResetForm

urlpatterns = [
    path("login/", views_auth.login_view, name="login"),
    path("login/code/", views_auth.login_code, name="login_code"),
    path("logout/", views_security.logout_view, name="logout"),
    path("welcome/<str:token>/", views_auth.welcome, name="welcome"),
    path(
        "password-reset/",
        views_auth.PasswordResetView.as_view(
            template_name="team/password_reset.html", form_class=AgencyPasswordResetForm
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="team/password_reset_sent.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views_auth.PasswordResetConfirmView.as_view(template_name="team/password_reset_confirm.html"),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="team/password_reset_done.html"),
        name="password_reset_complete",
    ),
    path("settings/security/", views_security.security, name="account_security"),
    path("settings/security/confirm/", views_auth.reauth, name="reauth"),
    path("settings/security/two-factor/", views_security.two_factor_setup, name="two_factor_setup"),
    path(
        "settings/security/two-factor/codes/",
        views_security.recovery_codes_renew,
        name="recovery_codes_renew",
    ),
    path("settings/security/two-factor/off/", views_security.two_factor_off, name="two_factor_off"),
    path("settings/security/rule/", views_security.two_factor_policy, name="two_factor_policy"),
    path("settings/security/logout-everywhere/", views_security.logout_everywhere, name="logout_everywhere"),
    path("team/", views.team, name="team"),
    path("settings/audit/", views.audit_log, name="audit_log"),
    path("team/<int:pk>/role/", views.member_role, name="member_role"),
    path("team/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path(
        "team/<int:pk>/two-factor-reset/",
        views_security.member_two_factor_reset,
        name="member_two_factor_reset",
    ),
    path("invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
]

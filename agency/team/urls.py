from django.contrib.auth import views as auth_views
from django.urls import path

from agency.team import views
from agency.team.forms import AgencyPasswordResetForm

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="team/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
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
        auth_views.PasswordResetConfirmView.as_view(template_name="team/password_reset_confirm.html"),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="team/password_reset_done.html"),
        name="password_reset_complete",
    ),
    path("team/", views.team, name="team"),
    path("settings/audit/", views.audit_log, name="audit_log"),
    path("team/<int:pk>/role/", views.member_role, name="member_role"),
    path("team/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
]

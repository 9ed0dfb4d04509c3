"""URLs of the public site (localhost / the bare portal domain): landing, sign-up, platform admin.

The platform admin signs in through the same pages as agencies (lockout, two-factor required)."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from agency import views
from agency.team import views_auth, views_security

urlpatterns = [
    path("", views.landing, name="landing"),
    path("signup/", views.signup_view, name="signup"),
    path("signup/verify/<str:token>/", views.signup_verify, name="signup_verify"),
    path("login/", views_auth.login_view, name="login"),
    path("login/code/", views_auth.login_code, name="login_code"),
    path("logout/", views_security.logout_view, name="logout"),
    path("security/", views_security.security, name="account_security"),
    path("security/two-factor/", views_security.two_factor_setup, name="two_factor_setup"),
    path("security/confirm/", views_auth.reauth, name="reauth"),
    path("security/two-factor/codes/", views_security.recovery_codes_renew, name="recovery_codes_renew"),
    path("security/logout-everywhere/", views_security.logout_everywhere, name="logout_everywhere"),
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("operator/", include("agency.operator.urls")),  # the operator's console (platform staff)
]

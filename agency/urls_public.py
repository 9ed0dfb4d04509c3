"""URLs of the public site (localhost / the bare portal domain): landing, sign-up, platform admin."""

from django.contrib import admin
from django.urls import path

from agency import views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("signup/", views.signup, name="signup"),
    path("admin/", admin.site.urls),
]

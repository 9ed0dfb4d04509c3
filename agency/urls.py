"""URLs of an agency's workspace (served on the agency's own domains)."""

from django.urls import include, path

from agency import views

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("agency.team.urls")),
]

from django.urls import path

from agency.branding import views

urlpatterns = [
    path("settings/branding/", views.branding, name="branding"),
    path("branding/logo.png", views.logo, name="brand_logo"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("branding/colours.css", views.stylesheet, name="brand_stylesheet"),
]

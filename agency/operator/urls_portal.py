"""The owner's export pages, on each agency's domains (agency.urls)."""

from django.urls import path

from agency.operator import owner_views

urlpatterns = [
    path("settings/export/", owner_views.data_export, name="data_export"),
    path("settings/export/<int:pk>/download/", owner_views.data_export_download, name="data_export_download"),
]

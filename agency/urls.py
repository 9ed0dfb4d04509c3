"""URLs of an agency's workspace (served on the agency's own domains)."""

from django.urls import include, path

from agency.portal import bulk_import

urlpatterns = [
    path("clients/import/", bulk_import.client_import, name="client_import"),
    path("", include("agency.portal.urls")),
    path("", include("agency.team.urls")),
    path("", include("reports.urls")),
    path("", include("agency.branding.urls")),
    path("", include("clients.alerts.urls")),
    path("api/v1/", include("agency.api.urls")),
    path("", include("agency.api.urls_portal")),
    path("", include("agency.webhooks.urls")),
]

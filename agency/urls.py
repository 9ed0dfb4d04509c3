"""URLs of an agency's workspace (served on the agency's own domains). Part of the composition
root: it may import every layer."""

from django.urls import include, path

api_v1 = [
    path("", include("clients.api.urls")),
    path("", include("clients.integrations.api_urls")),
    path("", include("clients.workflow.api_urls")),
    path("", include("reports.api_urls")),
    path("", include("agency.api.urls")),  # last: its JSON 404 catches every other address
]

urlpatterns = [
    path("", include("clients.urls")),
    path("", include("agency.team.urls")),
    path("", include("reports.urls")),
    path("", include("agency.branding.urls")),
    path("", include("clients.alerts.urls")),
    path("", include("clients.workflow.urls")),
    path("api/v1/", include(api_v1)),
    path("", include("agency.api.urls_portal")),
    path("", include("agency.operator.urls_portal")),  # the owner's data export
    path("", include("clients.integrations.urls")),
]

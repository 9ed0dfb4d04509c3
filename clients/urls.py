from django.urls import include, path

from clients.views import bulk_import, client_pages, dashboard, inbox, locations, overview, owners

urlpatterns = [
    path("", overview.overview, name="home"),
    path("clients/<int:pk>/", dashboard.client_dashboard, name="client_dashboard"),
    path(
        "clients/<int:pk>/locations/<int:location_pk>/",
        dashboard.client_dashboard,
        name="location_dashboard",
    ),
    path("clients/new/", client_pages.client_add, name="client_add"),
    path("clients/import/", bulk_import.client_import, name="client_import"),
    path("clients/import/template.csv", bulk_import.client_import_template, name="client_import_template"),
    path("clients/<int:pk>/viewers/", owners.client_viewers, name="client_viewers"),
    path("clients/<int:pk>/ask-login/", owners.connect_request, name="connect_request"),
    path("connect/<str:token>/", owners.connect_pulseback, name="connect_pulseback"),
    path("clients/<int:pk>/edit/", client_pages.client_edit, name="client_edit"),
    path("clients/<int:pk>/remove/", client_pages.client_remove, name="client_remove"),
    path(
        "clients/<int:pk>/locations/<int:location_pk>/pause/",
        client_pages.location_pause,
        name="location_pause",
    ),
    path(
        "clients/<int:pk>/locations/<int:location_pk>/resume/",
        client_pages.location_resume,
        name="location_resume",
    ),
    path(
        "clients/<int:pk>/locations/<int:location_pk>/sync/", client_pages.location_sync, name="location_sync"
    ),
    path("clients/<int:pk>/locations/new/", locations.location_new, name="location_new"),
    path(
        "clients/<int:pk>/locations/<int:location_pk>/login/", locations.location_login, name="location_login"
    ),
    path("clients/<int:pk>/sync-status/", dashboard.client_sync_status, name="client_sync_status"),
    path("clients/<int:pk>/figures/", dashboard.client_dashboard_figures, name="client_dashboard_figures"),
    path(
        "clients/<int:pk>/locations/<int:location_pk>/figures/",
        dashboard.client_dashboard_figures,
        name="location_dashboard_figures",
    ),
    path("", include("clients.portfolio.urls")),
    path("feedback/", inbox.inbox, name="inbox"),
    path("feedback/export.csv", inbox.feedback_export, name="feedback_export"),
    path("feedback/<int:pk>/", inbox.feedback_detail, name="feedback_detail"),
]

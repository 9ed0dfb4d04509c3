from django.urls import path

from agency.portal import clients, dashboard, inbox, locations, overview

urlpatterns = [
    path("", overview.overview, name="home"),
    path("clients/<int:pk>/", dashboard.client_dashboard, name="client_dashboard"),
    path(
        "clients/<int:pk>/locations/<int:location_pk>/",
        dashboard.client_dashboard,
        name="location_dashboard",
    ),
    path("clients/new/", clients.client_add, name="client_add"),
    path("clients/<int:pk>/edit/", clients.client_edit, name="client_edit"),
    path("clients/<int:pk>/remove/", clients.client_remove, name="client_remove"),
    path(
        "clients/<int:pk>/locations/<int:location_pk>/pause/", clients.location_pause, name="location_pause"
    ),
    path(
        "clients/<int:pk>/locations/<int:location_pk>/resume/",
        clients.location_resume,
        name="location_resume",
    ),
    path("clients/<int:pk>/locations/<int:location_pk>/sync/", clients.location_sync, name="location_sync"),
    path("clients/<int:pk>/locations/new/", locations.location_new, name="location_new"),
    path(
        "clients/<int:pk>/locations/<int:location_pk>/login/", locations.location_login, name="location_login"
    ),
    path("clients/<int:pk>/sync-status/", dashboard.client_sync_status, name="client_sync_status"),
    path("feedback/", inbox.inbox, name="inbox"),
    path("feedback/export.csv", inbox.feedback_export, name="feedback_export"),
    path("feedback/<int:pk>/", inbox.feedback_detail, name="feedback_detail"),
]

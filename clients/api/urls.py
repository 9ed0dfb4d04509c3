"""The clients API under ``/api/v1/``."""

from django.urls import path

from clients.api import views

urlpatterns = [
    path("clients", views.ClientListView.as_view(), name="api-clients"),
    path("clients/<id:pk>", views.ClientDetailView.as_view(), name="api-client"),
    path("clients/<id:pk>/stats", views.ClientStatsView.as_view(), name="api-client-stats"),
    path("clients/<id:pk>/sync", views.ClientSyncView.as_view(), name="api-client-sync"),
    path("feedback", views.FeedbackListView.as_view(), name="api-feedback"),
    path("sync-runs/<id:pk>", views.SyncRunDetailView.as_view(), name="api-sync-run"),
]

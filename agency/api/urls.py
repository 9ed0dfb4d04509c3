"""``/api/v1/`` on each agency's domains."""

from django.urls import path, re_path, register_converter

from agency.api import reports, views
from agency.webhooks import api as webhooks_api


class IdConverter:
    """A database id: digits, short enough for a bigint (a longer number is simply not found)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(IdConverter, "id")

urlpatterns = [
    path("clients", views.ClientListView.as_view(), name="api-clients"),
    path("clients/<id:pk>", views.ClientDetailView.as_view(), name="api-client"),
    path("clients/<id:pk>/stats", views.ClientStatsView.as_view(), name="api-client-stats"),
    path("clients/<id:pk>/sync", views.ClientSyncView.as_view(), name="api-client-sync"),
    path(
        "clients/<id:pk>/feedback",
        webhooks_api.ClientFeedbackCreateView.as_view(),
        name="api-client-feedback",
    ),
    path("feedback", views.FeedbackListView.as_view(), name="api-feedback"),
    path(
        "feedback-requests/<id:pk>",
        webhooks_api.FeedbackRequestDetailView.as_view(),
        name="api-feedback-request",
    ),
    path("locations/<id:pk>/pos-trigger", webhooks_api.PosTriggerView.as_view(), name="api-pos-trigger"),
    path("webhooks", webhooks_api.WebhookListView.as_view(), name="api-webhooks"),
    path("webhooks/<id:pk>", webhooks_api.WebhookDetailView.as_view(), name="api-webhook"),
    path(
        "webhooks/<id:pk>/deliveries", webhooks_api.DeliveryListView.as_view(), name="api-webhook-deliveries"
    ),
    path("sync-runs/<id:pk>", views.SyncRunDetailView.as_view(), name="api-sync-run"),
    path("reports", reports.ReportCreateView.as_view(), name="api-reports"),
    path("reports/<id:pk>", reports.ReportDetailView.as_view(), name="api-report"),
    path("reports/<id:pk>/pdf", reports.ReportPdfView.as_view(), name="api-report-pdf"),
    path("schema", views.SchemaView.as_view(), name="api-schema"),
    path("docs", views.SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc", views.RedocView.as_view(url_name="api-schema"), name="api-redoc"),
    re_path(r"^[\s\S]*$", views.NotFoundView.as_view(), name="api-not-found"),
]

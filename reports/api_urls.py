"""Reports under ``/api/v1/``."""

from django.urls import path

from reports import api

urlpatterns = [
    path("reports", api.ReportCreateView.as_view(), name="api-reports"),
    path("reports/<id:pk>", api.ReportDetailView.as_view(), name="api-report"),
    path("reports/<id:pk>/pdf", api.ReportPdfView.as_view(), name="api-report-pdf"),
]

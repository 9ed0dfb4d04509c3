from django.urls import path

from reports import views

urlpatterns = [
    path("clients/<int:pk>/reports/", views.client_reports, name="client_reports"),
    path("clients/<int:pk>/reports/schedule/", views.client_schedule, name="client_schedule"),
    path("clients/<int:pk>/reports/preview/", views.report_preview, name="report_preview"),
    path("reports/<int:pk>/pdf/", views.report_download, name="report_download"),
    path("reports/queue/", views.approval_queue, name="report_queue"),
    path("reports/<int:pk>/approve/", views.report_approve, name="report_approve"),
]

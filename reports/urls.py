from django.urls import path

from reports import settings_views, share_views, views

urlpatterns = [
    path("clients/<int:pk>/reports/", views.client_reports, name="client_reports"),
    path("clients/<int:pk>/reports/schedule/", views.client_schedule, name="client_schedule"),
    path("clients/<int:pk>/reports/preview/", views.report_preview, name="report_preview"),
    path(
        "clients/<int:pk>/reports/settings/",
        settings_views.client_report_settings,
        name="client_report_settings",
    ),
    path("reports/preview/<str:token>/<int:page>.png", views.preview_page, name="report_preview_page"),
    path("reports/template/", settings_views.report_template, name="report_template"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/pages/<int:page>.png", views.report_page, name="report_page"),
    path("reports/<int:pk>/pdf/", views.report_download, name="report_download"),
    path("reports/<int:pk>/commentary/", views.report_commentary, name="report_commentary"),
    path("reports/<int:pk>/send/", views.report_send, name="report_send"),
    path("reports/<int:pk>/share/", views.share_link_create, name="share_link_create"),
    path("reports/share/<int:pk>/revoke/", views.share_link_revoke, name="share_link_revoke"),
    path("reports/queue/", views.approval_queue, name="report_queue"),
    path("reports/<int:pk>/approve/", views.report_approve, name="report_approve"),
    # Opened by the agency's clients without an account: the token is the key.
    path("r/<str:token>/", share_views.shared_report, name="shared_report"),
    path("r/<str:token>/pages/<int:page>.png", share_views.shared_report_page, name="shared_report_page"),
    path("r/<str:token>/report.pdf", share_views.shared_report_pdf, name="shared_report_pdf"),
]

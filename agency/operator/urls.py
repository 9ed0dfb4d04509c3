"""The operator's console, under /operator/ on the public domain (agency.urls_public)."""

from django.urls import path

from agency.operator import views

app_name = "operator"

urlpatterns = [
    path("", views.agency_list, name="agencies"),
    path("agencies/<slug:slug>/", views.agency_detail, name="agency"),
    path("agencies/<slug:slug>/<slug:action>/", views.agency_action, name="agency_action"),
    path("exports/<int:pk>/download/", views.export_download, name="export_download"),
    path("plans/", views.plan_list, name="plans"),
    path("plans/<int:pk>/", views.plan_edit, name="plan"),
    path("audit/", views.audit_log, name="audit"),
    path("deletions/", views.deletion_list, name="deletions"),
]

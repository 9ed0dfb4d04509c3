"""The API's shared addresses under ``/api/v1/``: schema, docs, and a JSON 404 for the rest.

Mounted last by the root URLconf, after each layer's endpoints."""

from django.urls import path, re_path

from agency.api import views

urlpatterns = [
    path("schema", views.SchemaView.as_view(), name="api-schema"),
    path("docs", views.SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc", views.RedocView.as_view(url_name="api-schema"), name="api-redoc"),
    re_path(r"^[\s\S]*$", views.NotFoundView.as_view(), name="api-not-found"),
]

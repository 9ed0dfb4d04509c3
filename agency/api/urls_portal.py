from django.urls import path

from agency.api import views_portal

urlpatterns = [
    path("settings/api-tokens/", views_portal.api_tokens, name="api_tokens"),
    path("settings/api-tokens/<int:pk>/revoke/", views_portal.api_token_revoke, name="api_token_revoke"),
]

"""Webhooks, point-of-sale triggers and feedback requests under ``/api/v1/``."""

from django.urls import path

from clients.integrations import api

urlpatterns = [
    path("clients/<id:pk>/feedback", api.ClientFeedbackCreateView.as_view(), name="api-client-feedback"),
    path("feedback-requests/<id:pk>", api.FeedbackRequestDetailView.as_view(), name="api-feedback-request"),
    path("locations/<id:pk>/pos-trigger", api.PosTriggerView.as_view(), name="api-pos-trigger"),
    path("webhooks", api.WebhookListView.as_view(), name="api-webhooks"),
    path("webhooks/<id:pk>", api.WebhookDetailView.as_view(), name="api-webhook"),
    path("webhooks/<id:pk>/deliveries", api.DeliveryListView.as_view(), name="api-webhook-deliveries"),
]

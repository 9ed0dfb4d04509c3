"""Outbound webhook endpoints and their deliveries."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from agency.crypto import EncryptedTextField


class Event(models.TextChoices):
    FEEDBACK_CREATED = "feedback.created", "New feedback synced"
    FEEDBACK_NEGATIVE = "feedback.negative", "New negative feedback"
    FEEDBACK_STATUS_CHANGED = "feedback.status_changed", "Feedback status changed"
    SYNC_FAILED = "sync.failed", "A sync failed"
    REPORT_READY = "report.ready", "A report is ready"


class WebhookEndpoint(models.Model):
    """A URL the agency subscribed to some events, optionally for one client only."""

    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    events = ArrayField(models.CharField(max_length=40, choices=Event.choices))
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    secret = EncryptedTextField()
    is_active = models.BooleanField(default=True)
    consecutive_failures = models.IntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.url


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event sent to one endpoint, with the outcome of its latest attempt."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(default=uuid.uuid4)
    event = models.CharField(max_length=40, choices=Event.choices)
    payload = models.JSONField()
    state = models.CharField(max_length=12, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.IntegerField(default=0)
    response_code = models.IntegerField(null=True, blank=True)
    duration_ms = models.IntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["endpoint", "created_at"], name="delivery_endpoint_created")]

    def __str__(self):
        return f"{self.event} to {self.endpoint_id} ({self.state})"

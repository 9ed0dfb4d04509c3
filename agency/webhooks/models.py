"""Outbound webhook endpoints and their deliveries; inbound point-of-sale triggers and their orders."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from clients.crypto import EncryptedTextField


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


class PosTrigger(models.Model):
    """A location's inbound point-of-sale URL: ``/hooks/pos/<key>/``, authenticated by a secret."""

    location = models.OneToOneField("clients.Location", on_delete=models.CASCADE, related_name="pos_trigger")
    key = models.UUIDField(default=uuid.uuid4, unique=True)
    secret = EncryptedTextField()
    starting_rating = models.SmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    is_enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"POS trigger of location {self.location_id}"


class PosOrderState(models.TextChoices):
    PENDING = "pending", "Waiting to be sent to PulseBack"
    SENDING = "sending", "Being sent to PulseBack"
    CREATED = "created", "Created in PulseBack"
    FAILED = "failed", "Failed"


class PosOrder(models.Model):
    """A feedback request made for a completed order; one per (location, order id)."""

    location = models.ForeignKey("clients.Location", on_delete=models.CASCADE, related_name="pos_orders")
    order_id = models.CharField(max_length=200)
    channel = models.CharField(max_length=8, default="pos")  # "pos" (inbound URL) or "api"
    customer_name = models.TextField(blank=True)
    customer_email = models.TextField(blank=True)
    customer_phone = models.TextField(blank=True)
    comment = models.TextField(blank=True)
    rating = models.SmallIntegerField()
    state = models.CharField(max_length=12, choices=PosOrderState.choices, default=PosOrderState.PENDING)
    attempts = models.IntegerField(default=0)
    pulseback_id = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["location", "order_id"], name="pos_order_unique_per_location")
        ]

    def __str__(self):
        return f"order {self.order_id} of location {self.location_id} ({self.state})"

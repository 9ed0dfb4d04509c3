"""Point-of-sale triggers and the feedback requests (orders) they receive.

The tables keep the names they had when these models lived in the webhooks app.
"""

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from agency.crypto import EncryptedTextField


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

    class Meta:
        db_table = "webhooks_postrigger"

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
        db_table = "webhooks_posorder"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["location", "order_id"], name="pos_order_unique_per_location")
        ]

    def __str__(self):
        return f"order {self.order_id} of location {self.location_id} ({self.state})"

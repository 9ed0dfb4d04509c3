"""Reads for webhooks."""

from agency.webhooks.models import WebhookDelivery, WebhookEndpoint


def endpoints_all():
    return WebhookEndpoint.objects.all()


def deliveries_of(*, endpoint):
    return WebhookDelivery.objects.filter(endpoint=endpoint)

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Outbound webhooks (events to Zapier, Make, n8n...) and inbound point-of-sale triggers."""

    name = "agency.webhooks"
    label = "webhooks"

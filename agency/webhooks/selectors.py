"""Reads for webhooks and point-of-sale triggers."""

import hmac
import logging

from agency.webhooks.models import PosTrigger, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)


def endpoints_all():
    return WebhookEndpoint.objects.select_related("client")


def deliveries_of(*, endpoint):
    return WebhookDelivery.objects.filter(endpoint=endpoint)


def pos_trigger_by_key(*, key):
    return PosTrigger.objects.select_related("location").filter(key=key, is_enabled=True).first()


def pos_secret_matches(*, trigger, presented):
    if not presented:
        return False
    return hmac.compare_digest(trigger.secret.reveal().encode(), presented.encode())

"""Celery tasks: ids only, load and call a service."""

from celery import shared_task
from django.conf import settings

from agency.webhooks import services


@shared_task(
    acks_late=True,
    autoretry_for=(services.DeliveryRetry,),
    retry_backoff=max(1, round(settings.WEBHOOKS_BACKOFF_SECONDS)),
    retry_backoff_max=6 * 3600,
    retry_jitter=True,
    max_retries=settings.WEBHOOKS_MAX_ATTEMPTS,
)
def webhook_deliver(delivery_id):
    """One delivery attempt; Celery retries it with exponential backoff until delivered or given up."""
    services.delivery_attempt(delivery_id=delivery_id)

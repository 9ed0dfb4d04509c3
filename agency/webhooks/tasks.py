"""Celery tasks: ids only, load and call a service."""

import logging

from celery import shared_task
from django.conf import settings

from agency.webhooks import services

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=None)
def webhook_deliver(self, delivery_id):
    """One delivery attempt; retried with exponential backoff until delivered or given up."""
    done = services.delivery_attempt(delivery_id=delivery_id)
    if not done:
        countdown = services.delivery_backoff(attempt=self.request.retries + 1)
        raise self.retry(countdown=countdown, max_retries=settings.WEBHOOKS_MAX_ATTEMPTS)


@shared_task(acks_late=True)
def webhook_sync_batch(location_id, kind, written_at):
    """Fan out the events of one batch a sync wrote."""
    services.sync_batch_events(location_id=location_id, kind=kind, written_at=written_at)


@shared_task(bind=True, acks_late=True, max_retries=None)
def pos_order_submit(self, order_pk):
    """Create a point-of-sale order's feedback in PulseBack; retried while PulseBack is unreachable."""
    wait = services.pos_order_send(order_pk=order_pk)
    if wait is not None:
        raise self.retry(countdown=wait, max_retries=settings.POS_MAX_ATTEMPTS)

"""Celery tasks: ids only, load and call a service."""

from celery import shared_task
from django.conf import settings

from clients.integrations import receivers, services
from clients.pulseback import PulseBackError, RateLimited


@shared_task(acks_late=True)
def webhook_sync_batch(location_id, kind, written_at):
    """Fan out the events of one batch a sync wrote."""
    receivers.sync_batch_events(location_id=location_id, kind=kind, written_at=written_at)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(PulseBackError,),
    retry_backoff=max(1, round(settings.POS_BACKOFF_SECONDS)),
    retry_jitter=True,
    max_retries=settings.POS_MAX_ATTEMPTS,
)
def pos_order_submit(self, order_pk):
    """Create a point-of-sale order's feedback in PulseBack; retried while PulseBack is unreachable
    (after the wait PulseBack asked for, when it said)."""
    try:
        services.pos_order_send(order_pk=order_pk)
    except RateLimited as exc:
        if not exc.retry_after:
            raise
        raise self.retry(exc=exc, countdown=exc.retry_after) from None

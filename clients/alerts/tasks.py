"""Celery tasks for alerts: thin, by id, calling clients.alerts.services."""

from celery import shared_task
from django.conf import settings

from agency.fanout import agencies_each
from clients.alerts import services


@shared_task(acks_late=True)
def alert_email_task(alert_id):
    services.alert_email(alert_id=alert_id)


@shared_task(
    acks_late=True,
    autoretry_for=(services.ChannelRetry,),
    retry_backoff=max(1, round(settings.WEBHOOKS_BACKOFF_SECONDS)),
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=5,
)
def alert_channel_task(alert_id, channel_id):
    """Post one alert to one chat channel; retried with backoff while the service is unavailable."""
    services.alert_channel_deliver(alert_id=alert_id, channel_id=channel_id)


@shared_task
def alerts_check_all():
    """Beat (hourly): one check task per agency."""
    return agencies_each(alerts_check)


@shared_task(acks_late=True)
def alerts_check():
    """The periodic checks of the agency whose schema the task runs in."""
    services.alerts_check()


@shared_task
def alerts_digest_all():
    """Beat (daily): one digest task per agency."""
    return agencies_each(alerts_digest)


@shared_task(acks_late=True)
def alerts_digest():
    services.alerts_digest_send()

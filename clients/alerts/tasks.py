"""Celery tasks for alerts: thin, by id, calling clients.alerts.services."""

from celery import shared_task

from agency.fanout import agencies_each
from clients.alerts import services


@shared_task(acks_late=True)
def alert_email_task(alert_id):
    services.alert_email(alert_id=alert_id)


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

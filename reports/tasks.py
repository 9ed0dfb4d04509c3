"""Celery tasks for reports: thin, by id, calling reports.services."""

from celery import shared_task

from agency.fanout import agencies_each
from reports import services


@shared_task(acks_late=True)
def report_generate_task(report_id):
    services.report_generate(report_id=report_id)


# SMTP unreachable: try again later (each failed attempt is in the delivery log).
@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=300, retry_jitter=True, max_retries=5)
def report_send_task(report_id):
    services.report_send(report_id=report_id)


@shared_task
def reports_due():
    """Beat: one task per agency queues that agency's due scheduled reports."""
    return agencies_each(reports_due_agency)


@shared_task(acks_late=True)
def reports_due_agency():
    return len(services.schedules_run())

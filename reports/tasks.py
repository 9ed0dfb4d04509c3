"""Celery tasks for reports: thin, by id, calling reports.services."""

import logging

from celery import shared_task
from django_tenants.utils import get_tenant_model, tenant_context

from reports import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def report_generate_task(report_id):
    services.report_generate(report_id=report_id)


@shared_task(bind=True, acks_late=True, max_retries=5)
def report_send_task(self, report_id):
    try:
        services.report_send(report_id=report_id)
    except OSError as exc:  # SMTP unreachable: try again later (the failed attempt is logged)
        raise self.retry(exc=exc, countdown=300 * 2**self.request.retries) from None


@shared_task
def reports_due():
    """Beat: queue the due scheduled reports of every agency."""
    total = 0
    for agency in get_tenant_model().objects.exclude(schema_name="public"):
        with tenant_context(agency):
            total += len(services.schedules_run())
    logger.info("queued %s scheduled reports", total)
    return total

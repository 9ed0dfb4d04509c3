"""Background work of the operator's tools: thin, by id, calling agency.operator.services."""

import socket

from celery import shared_task
from django.db import connection

from agency.fanout import agencies_each
from agency.operator import services


@shared_task
def usage_refresh_all():
    """Beat: measure every active agency, each in its own task."""
    return agencies_each(usage_refresh)


@shared_task
def usage_refresh():
    services.usage_measure(agency=connection.tenant)


@shared_task
def heartbeat(queue):
    """Beat sends one through every queue: a worker consuming it says the queue is served."""
    services.heartbeat_record(queue=queue, worker=socket.gethostname())


@shared_task(acks_late=True)
def export_build_task(export_id):
    services.export_build(export_id=export_id)


@shared_task
def deletions_due():
    """Beat: delete the agencies whose grace period is over."""
    return len(services.agency_deletions_run())

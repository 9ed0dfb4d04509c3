"""The Celery app: tenant-aware, so a task runs in the schema of the agency that queued it; a
suspended agency's tasks are kept for later instead of run; every queue routed to is declared, so a
worker started without ``--queues`` consumes them all (deploy/Procfile gives each worker its own)."""

import logging
import os

from celery.signals import worker_process_shutdown
from django.db import connection
from tenant_schemas_celery.app import CeleryApp
from tenant_schemas_celery.task import TenantTask

from agency.logs import log_context

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agency.settings.production")

logger = logging.getLogger(__name__)


class AgencyNotFound(RuntimeError):
    """The agency that queued a task no longer exists (or never did)."""


class AgencyTask(TenantTask):
    """Refuses to run a tenant task anywhere but in the schema that queued it.

    tenant-schemas-celery switches schema in a ``task_prerun`` signal handler.
    Celery only logs a signal handler's exception, so if the agency cannot be
    found the task would go on running in the public schema. This check runs
    inside the task itself, where an error fails the task loudly.

    A suspended agency's task does not run: it is parked (agency.operator) and queued again when
    the agency is resumed. Every log line of a task carries its agency, name and id.
    """

    abstract = True

    def __call__(self, *args, **kwargs):
        wanted = self._requested_schema()
        if wanted and connection.schema_name != wanted:
            raise AgencyNotFound(f"agency schema {wanted!r} not found; task {self.name} refused to run")
        with log_context(agency=wanted, task=self.name, task_id=self.request.id):
            tenant = getattr(connection, "tenant", None) if wanted else None
            if getattr(tenant, "suspended_at", None) is not None:
                from agency.operator.services import task_park

                task_park(agency=tenant, task=self.name, args=args, kwargs=kwargs)
                return None
            return super().__call__(*args, **kwargs)

    def _requested_schema(self):
        headers = self.request.headers or {}
        return headers.get("_schema_name") or self.request.get("_schema_name")


class PortalCelery(CeleryApp):
    task_cls = "agency.celery:AgencyTask"


def queue_names():
    """Every queue of the deployment: the default one, then each one routed to (settings)."""
    from django.conf import settings

    routes = settings.CELERY_TASK_ROUTES or {}
    routed = {route["queue"] for route in routes.values() if isinstance(route, dict) and "queue" in route}
    return [settings.CELERY_TASK_DEFAULT_QUEUE, *sorted(routed - {settings.CELERY_TASK_DEFAULT_QUEUE})]


def _queues():
    """Every queue declared, so that a worker started without ``--queues`` consumes them all."""
    return {"task_queues": {name: {} for name in queue_names()}}


app = PortalCelery("agency")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.add_defaults(_queues)
app.autodiscover_tasks()
app.autodiscover_tasks(["agency.operator"])


@worker_process_shutdown.connect
def _forget_dead_process(pid=None, **kwargs):
    """Metrics of a worker process that exits: its live gauges go, its counts stay (multiprocess mode)."""
    from agency.metrics import multiproc_dir

    if multiproc_dir() and pid:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)

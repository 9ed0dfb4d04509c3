"""The Celery app: tenant-aware, so a task runs in the schema of the agency that queued it."""

import os

from django.db import connection
from tenant_schemas_celery.app import CeleryApp
from tenant_schemas_celery.task import TenantTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agency.settings.production")


class AgencyNotFound(RuntimeError):
    """The agency that queued a task no longer exists (or never did)."""


class AgencyTask(TenantTask):
    """Refuses to run a tenant task anywhere but in the schema that queued it.

    tenant-schemas-celery switches schema in a ``task_prerun`` signal handler.
    Celery only logs a signal handler's exception, so if the agency cannot be
    found the task would go on running in the public schema. This check runs
    inside the task itself, where an error fails the task loudly.
    """

    abstract = True

    def __call__(self, *args, **kwargs):
        wanted = self._requested_schema()
        if wanted and connection.schema_name != wanted:
            raise AgencyNotFound(f"agency schema {wanted!r} not found; task {self.name} refused to run")
        return super().__call__(*args, **kwargs)

    def _requested_schema(self):
        headers = self.request.headers or {}
        return headers.get("_schema_name") or self.request.get("_schema_name")


class PortalCelery(CeleryApp):
    task_cls = "agency.celery:AgencyTask"


app = PortalCelery("agency")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

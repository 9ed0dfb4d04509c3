"""Periodic work fans out one task per agency, so one agency's error never stops the others'."""

from django_tenants.utils import get_public_schema_name, get_tenant_model


def agencies_each(task, **kwargs):
    """Queue ``task`` once for every agency, to run in that agency's schema; returns how many.

    The schema goes in the message's header (as tenant-schemas-celery reads it), so queueing
    switches no schema here."""
    schemas = (
        get_tenant_model()
        .objects.exclude(schema_name=get_public_schema_name())
        .order_by("pk")
        .values_list("schema_name", flat=True)
    )
    queued = 0
    for schema in schemas.iterator():
        task.apply_async(kwargs=kwargs, headers={"_schema_name": schema})
        queued += 1
    return queued

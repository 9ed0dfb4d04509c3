"""Queueing many tasks at once: periodic work fans out one task per agency, so one agency's error
never stops the others', and an agency's tick queues its syncs in one go."""

from celery.utils import uuid
from django_tenants.utils import get_public_schema_name, get_tenant_model
from tenant_schemas_celery.task import headers_with_schema


def tasks_publish(task, calls):
    """Queue a message of ``task`` for each of ``calls`` (dicts of ``args``, ``kwargs``,
    ``countdown`` and ``headers``, each optional) through one broker connection, pipelined
    (kombu's batch: one round trip per thousand messages on Redis); returns how many.

    Each message is Celery's own (``app.amqp`` builds and sends it), on the task's route worked
    out once: ``apply_async`` works out the route and the options again for every message, and
    took twice as long (benchmarks/many_tenants.py: a beat tick of 10,000 syncs). A message runs
    in the schema its headers name (tenant-schemas-celery's header), else in the current one."""
    amqp = task.app.amqp
    route = amqp.router.route({}, task.name, None, None, task)
    declare = None  # the first message declares the queue; the others need not ask again
    count = 0
    with task.app.producer_or_acquire() as producer, producer.batch():
        for call in calls:
            message = amqp.create_task_message(
                uuid(),
                task.name,
                call.get("args", ()),
                call.get("kwargs", {}),
                countdown=call.get("countdown"),
            )
            headers = headers_with_schema(call.get("headers"))
            amqp.send_task_message(producer, task.name, message, headers=headers, declare=declare, **route)
            declare, count = [], count + 1
    return count


def agencies_each(task, **kwargs):
    """Queue ``task`` once for every agency, to run in that agency's schema; returns how many.

    The schema goes in the message's header, so queueing switches no schema here."""
    schemas = (
        get_tenant_model()
        .objects.exclude(schema_name=get_public_schema_name())
        .filter(suspended_at__isnull=True)  # a suspended agency's periodic work stops (agency.operator)
        .order_by("pk")
        .values_list("schema_name", flat=True)
    )
    return tasks_publish(
        task, ({"kwargs": kwargs, "headers": {"_schema_name": schema}} for schema in schemas)
    )

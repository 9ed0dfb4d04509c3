"""Queueing many tasks at once: periodic work fans out one task per agency (or per batch of
agencies, each run apart), so one agency's error never stops the others', and an agency's tick
queues its syncs in one go."""

import logging

from celery.utils import uuid
from celery.utils.nodenames import anon_nodename
from django_tenants.utils import get_public_schema_name, get_tenant_model, tenant_context
from tenant_schemas_celery.task import headers_with_schema

from agency.logs import log_context

logger = logging.getLogger(__name__)


class AgenciesFailed(RuntimeError):
    """The work failed in some agencies of a batch (each logged); the others' was done."""


def tasks_publish(task, calls):
    """Queue a message of ``task`` for each of ``calls`` (dicts of ``args``, ``kwargs``,
    ``countdown`` and ``headers``, each optional) through one broker connection, pipelined
    (kombu's batch: one round trip per thousand messages on Redis); returns how many.

    Each message is Celery's own (``app.amqp`` builds and sends it), on the task's route worked
    out once: ``apply_async`` works out the route and the options again for every message, and
    took twice as long (benchmarks/many_tenants.py: a beat tick of 10,000 syncs). A message runs
    in the schema its headers name (tenant-schemas-celery's header), else in the current one."""
    amqp, name = task.app.amqp, task.name  # looked up once: a shared task is a proxy
    route = amqp.router.route({}, name, None, None, task)
    origin = anon_nodename()
    declare = None  # the first message declares the queue; the others need not ask again
    count = 0
    with task.app.producer_or_acquire() as producer, producer.batch():
        for call in calls:
            args, kwargs = call.get("args", ()), call.get("kwargs", {})
            message = amqp.create_task_message(
                uuid(),
                name,
                args,
                kwargs,
                countdown=call.get("countdown"),
                argsrepr=_shown(args, amqp.argsrepr_maxsize),
                kwargsrepr=_shown(kwargs, amqp.kwargsrepr_maxsize),
                origin=origin,
            )
            headers = headers_with_schema(call.get("headers"))
            amqp.send_task_message(producer, name, message, headers=headers, declare=declare, **route)
            declare, count = [], count + 1
    return count


def _shown(arguments, limit):
    """The arguments as a message's headers show them (to monitoring tools only), cut to Celery's
    limit. Celery's own ``saferepr``, and the two settings it looks up for each message, took a
    third of a message's time; the arguments queued here are a few numbers and names."""
    text = repr(arguments)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _active_agencies():
    return (
        get_tenant_model()
        .objects.exclude(schema_name=get_public_schema_name())
        .filter(suspended_at__isnull=True)  # a suspended agency's periodic work stops (agency.operator)
        .order_by("pk")
    )


def agencies_each(task, **kwargs):
    """Queue ``task`` once for every agency, to run in that agency's schema; returns how many.

    The schema goes in the message's header, so queueing switches no schema here."""
    schemas = _active_agencies().values_list("schema_name", flat=True)
    return tasks_publish(
        task, ({"kwargs": kwargs, "headers": {"_schema_name": schema}} for schema in schemas)
    )


def agencies_batched(task, *, size, **kwargs):
    """Queue ``task`` once for every ``size`` agencies, their schemas in its ``schemas`` argument,
    to run in the public schema and do each agency's share through ``agencies_run``; returns how
    many messages. For periodic work of a few milliseconds an agency, where a message, its
    delivery and the agency's lookup would cost a worker more than the work itself."""
    schemas = list(_active_agencies().values_list("schema_name", flat=True))
    public = {"_schema_name": get_public_schema_name()}
    return tasks_publish(
        task,
        (
            {"kwargs": {"schemas": schemas[first : first + size], **kwargs}, "headers": public}
            for first in range(0, len(schemas), size)
        ),
    )


def agencies_run(schemas, work):
    """Run ``work()`` in each agency of ``schemas`` still there and not suspended, in its schema
    (looked up in one query), with its name on every log line; ``{schema: result}``. An agency's
    error is logged and the others go on; AgenciesFailed is raised at the end, naming them."""
    results, failed = {}, []
    for agency in _active_agencies().filter(schema_name__in=schemas):
        with tenant_context(agency), log_context(agency=agency.schema_name):
            try:
                results[agency.schema_name] = work()
            except Exception:
                logger.exception("failed in agency %s", agency.schema_name)
                failed.append(agency.schema_name)
    if failed:
        raise AgenciesFailed(f"failed in {len(failed)} of {len(schemas)} agencies: {', '.join(failed)}")
    return results

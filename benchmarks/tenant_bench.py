"""Helpers of benchmarks/many_tenants.py: growing the agencies, the locations of the tick, an
isolated broker namespace, and the beat's tick measured on forked worker processes."""

import json
import multiprocessing
import os
import time

import redis

TICK_KIND = "incremental"


def p95(timings):
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _agency_schemas():
    from agency.models import Agency

    return list(
        Agency.objects.exclude(schema_name="public").order_by("pk").values_list("schema_name", flat=True)
    )


def grow(size):
    """Add agencies (row, domain, owner, schema copied from the template, ten per transaction)
    until there are ``size``; return how many were made a second (None if none were needed)."""
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django_tenants.utils import schema_context

    from agency.models import Agency, Domain
    from agency.schema_copy import schema_copy
    from agency.team.models import Role, User

    current = len(_agency_schemas())
    if current >= size:
        return None
    password = make_password("Bench-mark-pass-1")
    started = time.perf_counter()
    for first in range(current, size, 10):
        with transaction.atomic():
            for number in range(first, min(size, first + 10)):
                slug = f"bench-{number:04d}"
                agency = Agency(slug=slug, name=f"Bench {number}", schema_name=Agency.schema_name_for(slug))
                agency.auto_create_schema = False
                agency.save(verbosity=0)
                Domain.objects.create(tenant=agency, domain=f"{slug}.bench.test", is_primary=True)
                schema_copy(source=settings.TENANT_BASE_SCHEMA, target=agency.schema_name)
                with schema_context(agency.schema_name):
                    User.objects.create(email=f"owner@{slug}.test", password=password, role=Role.OWNER)
    return (size - current) / (time.perf_counter() - started)


def _truncate(schemas, tables):
    from django.db import connection
    from psycopg import sql

    with connection.cursor() as cursor:
        for schema in schemas:
            names = sql.SQL(", ").join(sql.Identifier(schema, table) for table in tables)
            cursor.execute(sql.SQL("TRUNCATE {} CASCADE").format(names))


def ensure_locations(total):
    """Exactly ``total`` locations spread over the agencies, all due (synced a day ago) with valid
    tokens (so no sync waits for a sign-in)."""
    from datetime import timedelta

    from django.utils import timezone
    from django_tenants.utils import schema_context

    from clients.models import Client, ConnectionState, Location

    schemas = _agency_schemas()
    _truncate(schemas, ["clients_syncrun", "clients_location", "clients_client"])
    now = timezone.now()
    for index, schema in enumerate(schemas):
        count = total // len(schemas) + (index < total % len(schemas))
        with schema_context(schema):
            client = Client.objects.create(name="Bench client")
            Location.objects.bulk_create(
                Location(client=client, name=f"Location {n}", pulseback_email=f"l{n}@bench.test",
                         pulseback_password=None, state=ConnectionState.CONNECTED,
                         last_synced_at=now - timedelta(days=1), backfilled_at=now - timedelta(hours=1),
                         token_expires_at=now + timedelta(hours=2))
                for n in range(count)
            )  # fmt: skip


class Broker:
    """The Celery broker under a key prefix of this run's own (nothing of others' is touched)."""

    def __init__(self):
        from django.conf import settings

        from agency.celery import app

        self.prefix = f"bench-{os.getpid()}:"
        options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "global_keyprefix": self.prefix}
        settings.CELERY_BROKER_TRANSPORT_OPTIONS = options
        app.conf.broker_transport_options = options
        self.app = app

    def _client(self):
        with self.app.connection_for_write() as conn:
            return redis.Redis(connection_pool=conn.default_channel.client.connection_pool)

    def take(self, queue):
        """Every message waiting in ``queue``, oldest first, removed from it."""
        client, key = self._client(), self.prefix + queue
        raw = client.lrange(key, 0, -1)
        client.delete(key)
        return [json.loads(message) for message in reversed(raw)]

    def length(self, queue):
        return self._client().llen(self.prefix + queue)

    def sample(self, queue):
        return self._client().lindex(self.prefix + queue, 0)

    def clean(self):
        client = self._client()
        for key in client.scan_iter(match=self.prefix + "*", count=1000):
            client.delete(key)


def _on_workers(items, work, processes=2):
    """Run ``work(item)`` for every item on ``processes`` forked worker processes, each taking the
    next item when it is free (as Celery's workers take the next message)."""
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    queue = context.SimpleQueue()

    def worker():
        while (item := queue.get()) is not None:
            work(item)
        connections.close_all()

    children = [context.Process(target=worker) for _ in range(processes)]
    for child in children:
        child.start()
    for item in [*items, *[None] * processes]:
        queue.put(item)
    for child in children:
        child.join()
    if any(child.exitcode for child in children):
        raise RuntimeError("a worker process of the tick failed")


def _in_agency(schema, body):
    """Run ``body`` as a worker runs an agency's task: the agency looked up, its schema set."""
    from django.db import connection

    from agency.models import Agency

    connection.set_tenant(Agency.objects.get(schema_name=schema))
    try:
        body()
    finally:
        connection.set_schema_to_public()


def _tick_task(message):
    """One task of the tick, through Celery's own task machinery (its schema switch, its checks)."""
    import base64

    from clients.tasks import sync_due_agencies

    kwargs = json.loads(base64.b64decode(message["body"]))[1]
    headers = {"_schema_name": message["headers"]["_schema_name"]}
    result = sync_due_agencies.apply(kwargs=kwargs, headers=headers)
    if result.failed():
        raise RuntimeError(f"a task of the tick failed: {result.result!r}")


def tick_measure(broker):
    """The tick as it is: the fan-out, then its tasks (AGENCIES_PER_TICK_TASK agencies each) on two
    workers, until every sync is queued. Returns (seconds, seconds of the fan-out, syncs queued)."""
    from clients.tasks import sync_due_locations

    schemas = _agency_schemas()
    _truncate(schemas, ["clients_syncrun"])
    broker.clean()
    started = time.perf_counter()
    sync_due_locations.run(kind=TICK_KIND)
    tasks = broker.take("sync")
    fanout = time.perf_counter() - started
    _on_workers(tasks, _tick_task)
    return time.perf_counter() - started, fanout, broker.length("sync")


def _old_agency_task(schema):
    _in_agency(schema, _old_agency_tick)


def _old_agency_tick():
    """What an agency's tick did before: one sync queued (and published) at a time."""
    from clients.models import ConnectionState, Location, SyncKind, SyncRun, SyncState
    from clients.services import sync_queue
    from clients.sync_lock import sync_runs_fail_stale

    sync_runs_fail_stale()
    busy = SyncRun.objects.filter(state__in=[SyncState.QUEUED, SyncState.RUNNING]).values("location_id")
    due = (
        Location.objects.exclude(state__in=[ConnectionState.PAUSED, ConnectionState.INVALID_CREDENTIALS])
        .exclude(pk__in=busy)
        .order_by("last_synced_at", "pk")
        .values_list("pk", "backfilled_at")
    )
    for location_id, backfilled_at in due:
        kind = SyncKind.INCREMENTAL if backfilled_at else SyncKind.BACKFILL
        sync_queue(location=Location(pk=location_id), kind=kind)


def tick_baseline(broker):
    """The tick before: one message per agency (apply_async: a connection from the pool each), and
    each agency, in its schema, queueing its syncs one by one."""
    from clients.tasks import sync_due_agencies

    schemas = _agency_schemas()
    _truncate(schemas, ["clients_syncrun"])
    broker.clean()
    started = time.perf_counter()
    for schema in schemas:
        kwargs = {"schemas": [schema], "kind": TICK_KIND}
        sync_due_agencies.apply_async(kwargs=kwargs, headers={"_schema_name": schema})
    broker.take("sync")
    _on_workers(schemas, _old_agency_task)
    return time.perf_counter() - started, None, broker.length("sync")


def tick_ceiling(broker, count):
    """What the broker and database need at least: as many messages as the tick queued (a real
    one, copied) in one pipelined write, and as many runs in one INSERT (rolled back)."""
    from django.db import connection, transaction
    from django_tenants.utils import schema_context

    message = broker.sample("sync")
    client, key = broker._client(), broker.prefix + "ceiling"
    started = time.perf_counter()
    pipe = client.pipeline(transaction=False)
    for _ in range(count):
        pipe.lpush(key, message)
    pipe.execute()
    publish = time.perf_counter() - started
    client.delete(key)
    from clients.models import Location, SyncRun

    schema = _agency_schemas()[0]
    with transaction.atomic(), schema_context(schema), connection.cursor() as cursor:
        sample = SyncRun(location_id=Location.objects.values_list("pk", flat=True).first(), kind=TICK_KIND)
        fields = [field for field in SyncRun._meta.concrete_fields if not field.primary_key]
        values = [field.get_db_prep_save(getattr(sample, field.attname), connection) for field in fields]
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        started = time.perf_counter()
        cursor.execute(
            f"INSERT INTO clients_syncrun ({columns}) SELECT {', '.join(['%s'] * len(values))} "  # noqa: S608
            "FROM generate_series(1, %s)",
            [*values, count],
        )
        insert = time.perf_counter() - started
        transaction.set_rollback(True)
    return publish + insert, publish, insert

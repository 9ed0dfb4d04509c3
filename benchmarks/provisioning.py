"""How long does one more sign-up take, however many agencies there are?

Measures ``agency_create`` (the sign-up's work: agency row, schema, domain, owner with an Argon2id
hash) with the pool of spare schemas warm (a rename) and empty (a catalog copy of the template),
against, in the same run and database:

- the naive baseline: creating the schema by running every migration;
- what sign-up did before: django-tenants' clone of the template;
- the ceiling: the owner's password hash alone, and a bare ``ALTER SCHEMA ... RENAME``.

It runs against the database of the settings (the embedded one, or DATABASE_URL) and the agencies
already there; benchmarks/many_tenants.py measures the same at 0, 100 and 300 agencies.

    python benchmarks/provisioning.py [--runs 10] [--naive-runs 3]
"""

import argparse
import os
import time
import tracemalloc
from unittest import mock

from _setup import django_setup, summary

django_setup()

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, transaction
from django_tenants.clone import CloneSchema
from psycopg import sql

from agency.migration_state import migration_state
from agency.models import Agency
from agency.provisioning import spare_pool_refill, spares_list
from agency.services import agency_create


def provision(prefix, runs, before=None):
    """Time ``runs`` sign-ups (``before`` runs untimed ahead of each); each agency is then deleted."""
    timings = []
    for i in range(runs):
        if before:
            before()
        slug = f"{prefix}{i}-{int(time.time())}"
        start = time.perf_counter()
        agency = agency_create(
            slug=slug,
            name=f"Bench {slug}",
            owner_email=f"owner@{slug}.test",
            owner_password="Bench-mark-pass-1",
        )
        timings.append(time.perf_counter() - start)
        connection.set_schema_to_public()
        agency.delete(force_drop=True)
    return timings


def pool_empty():
    with connection.cursor() as cursor:
        for name in spares_list():
            cursor.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


def every_migration(*, schema_name):
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema_name)))
    call_command("migrate_schemas", tenant=True, schema_name=schema_name, interactive=False, verbosity=0)
    connection.set_schema_to_public()
    return "migrations"


def tenants_clone(*, schema_name):
    CloneSchema().clone_schema(settings.TENANT_BASE_SCHEMA, schema_name, "DATA")
    connection.set_schema_to_public()
    return "clone"


def bare_rename(runs):
    timings = []
    for _ in range(runs):
        spare_pool_refill(size=1)
        spare = spares_list(state=migration_state())[0]
        with transaction.atomic(), connection.cursor() as cursor:
            start = time.perf_counter()
            cursor.execute(sql.SQL("ALTER SCHEMA {} RENAME TO bench_rename").format(sql.Identifier(spare)))
            timings.append(time.perf_counter() - start)
            transaction.set_rollback(True)
    return timings


def p95(timings):
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--naive-runs", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class")
        relations = cursor.fetchone()[0]
    agencies = Agency.objects.exclude(schema_name="public").count()
    database = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "embedded PostgreSQL"
    print(f"database: {database}; {agencies} agencies, {relations} relations in pg_class; "
          f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())}")  # fmt: skip

    provision("warm", 1, before=lambda: spare_pool_refill(size=1))
    tracemalloc.start()
    warm = provision("warm", args.runs, before=lambda: spare_pool_refill(size=1))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    empty = provision("empty", args.runs, before=pool_empty)
    with mock.patch("agency.services.schema_provide", every_migration):
        naive = provision("naive", args.naive_runs, before=pool_empty)
    with mock.patch("agency.services.schema_provide", tenants_clone):
        clone = provision("clone", args.naive_runs, before=pool_empty)
    hashing = []
    for _ in range(args.runs):
        start = time.perf_counter()
        make_password("Bench-mark-pass-1")
        hashing.append(time.perf_counter() - start)
    rename = bare_rename(args.runs)
    spare_pool_refill()

    print(summary("sign-up, pool warm (rename a spare)", warm))
    print(summary("sign-up, pool empty (copy the template)", empty))
    print(summary("baseline: schema by every migration", naive))
    print(summary("before: django-tenants clone", clone))
    print(summary("ceiling: the password hash alone", hashing))
    print(summary("ceiling: ALTER SCHEMA ... RENAME alone", rename))
    print(f"peak Python memory of the warm sign-ups: {peak / 2**20:.1f} MiB; "
          f"sign-ups per second, warm: {len(warm) / sum(warm):.1f}")  # fmt: skip
    print(f"targets: warm p95 <= 500 ms: {'met' if p95(warm) <= 0.5 else 'NOT met'}; "
          f"empty p95 <= 1500 ms: {'met' if p95(empty) <= 1.5 else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()

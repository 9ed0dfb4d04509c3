"""How long does sign-up take to provision a new agency?

Compares cloning the migrated template schema (what sign-up does) with the
naive way, creating the schema by running every migration.

    python benchmarks/provisioning.py [--runs 10] [--naive-runs 3]
"""

import argparse
import time

from _setup import django_setup, summary

django_setup()

from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import override_settings

from agency.services import agency_create


def provision(prefix, runs):
    timings = []
    for i in range(runs):
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--naive-runs", type=int, default=3)
    args = parser.parse_args()
    call_command("migrate", interactive=False, verbosity=0)
    migrations = MigrationLoader(connection).disk_migrations
    print(f"project migrations: {len(migrations)} in all")
    provision("warm", 1)
    cloned = provision("clone", args.runs)
    with override_settings(TENANT_CREATION_FAKES_MIGRATIONS=False):
        naive = provision("naive", args.naive_runs)
    print(summary("sign-up, cloned template schema", cloned))
    print(summary("baseline, every migration run", naive))
    median = sorted(cloned)[len(cloned) // 2]
    print(f"speed-up (median): {sorted(naive)[len(naive) // 2] / median:.1f}x   target < 1000 ms: "
          f"{'met' if median < 1 else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()

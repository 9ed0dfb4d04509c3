"""Does the platform stay fast as agencies pile up? Measured at 0, 100 and 300 agencies (1,000 with
``--with-1000``), in a database of its own (dropped at the end), on the embedded PostgreSQL or on
the server of DATABASE_URL.

At each size, in the same run:

- one more sign-up, with the pool of spare schemas warm and empty, against the naive baseline
  (the schema by every migration) and what sign-up did before (django-tenants' clone);
- ``manage.py migrate`` with nothing to do, against django-tenants' ``migrate_schemas`` (every
  schema in turn);
- a trivial tenant migration (an AddField generated in a temporary copy of the project, never
  committed) through ``migrate`` on 2 processes, against ``migrate_schemas``;
- the beat's tick for 10,000 locations spread over the agencies (all due, tokens valid), three
  times: the fan-out and its tasks (25 agencies each, through Celery's task machinery) on 2 worker
  processes, until every sync is queued, against the tick before (a task per agency, queueing one
  sync at a time) and the ceiling (one pipelined write of as many messages, one INSERT of as many
  runs).

    python benchmarks/many_tenants.py [--sizes 0 100 300] [--with-1000] [--signups 10]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from urllib.parse import quote, urlsplit, urlunsplit

from _setup import ROOT
from tenant_bench import Broker, ensure_locations, grow, p95, tick_baseline, tick_ceiling, tick_measure

TICK_ROUNDS = 3  # the tick's time varies by a tenth from one round to the next on a shared machine


def bench_database(name):
    """The server to measure on, and the URL of a fresh database ``name`` there."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return "DATABASE_URL", urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agency.settings.dev")
    sys.path.insert(0, str(ROOT))
    from agency import embedded

    config = embedded.postgres_settings()
    host = quote(config["HOST"], safe="")
    return "embedded PostgreSQL", f"postgres://{config['USER']}@{host}:{config.get('PORT') or ''}/{name}"


def manage(args, env, cwd=ROOT):
    """Run ``manage.py args`` in a process of its own; its wall time in seconds."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=cwd, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        )
    return time.perf_counter() - started


class Throwaway:
    """A temporary copy of the project, where each ``add()`` writes one more trivial migration."""

    def __init__(self, leaf):
        self.dir = tempfile.mkdtemp(prefix="portal-throwaway-")
        ignore = shutil.ignore_patterns(".venv", ".local", ".git", "artifacts", "staticfiles", "__pycache__")
        shutil.copytree(ROOT, self.dir, ignore=ignore, dirs_exist_ok=True)
        self.leaf, self.count = leaf, 0

    def add(self):
        self.count += 1
        name = f"9{self.count:03d}_bench_trivial"
        text = (
            "from django.db import migrations, models\n\n\n"
            "class Migration(migrations.Migration):\n"
            f"    dependencies = [('clients', {self.leaf!r})]\n"
            f"    operations = [migrations.AddField('client', 'bench_{self.count}', "
            "models.TextField(null=True, blank=True))]\n"
        )
        with open(os.path.join(self.dir, "clients", "migrations", f"{name}.py"), "w") as out:
            out.write(text)
        self.leaf = name

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def measure_size(size, args, env, throwaway, broker):
    from unittest import mock

    import provisioning as signup_bench
    from django.conf import settings

    from agency.provisioning import spare_pool_refill

    row = {"size": size, "load": os.getloadavg()[0]}
    row["grow"] = grow(size)
    signup_bench.provision("warm", 1, before=lambda: spare_pool_refill(size=1))
    row["warm"] = signup_bench.provision("warm", args.signups, before=lambda: spare_pool_refill(size=1))
    row["empty"] = signup_bench.provision("empty", args.signups, before=signup_bench.pool_empty)
    baselines = size <= args.baseline_max
    if baselines:
        with mock.patch("agency.services.schema_provide", signup_bench.every_migration):
            row["naive"] = signup_bench.provision("naive", 1, before=signup_bench.pool_empty)
        with mock.patch("agency.services.schema_provide", signup_bench.tenants_clone):
            row["clone"] = signup_bench.provision("clone", 1, before=signup_bench.pool_empty)
    spare_pool_refill(size=settings.TENANT_SPARE_SCHEMAS)
    row["noop"] = manage(["migrate", "--noinput", "-v0"], env)
    if baselines:
        row["noop_before"] = manage(["migrate_schemas", "--noinput", "-v0"], env)
        throwaway.add()
        row["trivial_before"] = manage(["migrate_schemas", "--noinput", "-v0"], env, cwd=throwaway.dir)
    throwaway.add()
    row["trivial"] = manage(["migrate", "--noinput", "-v0", "--processes", "2"], env, cwd=throwaway.dir)
    if size:
        ensure_locations(args.tick_locations)
        row["tick"] = [tick_measure(broker)[0] for _ in range(TICK_ROUNDS)]
        row["tick_ceiling"] = tick_ceiling(broker, args.tick_locations)
        if baselines:
            row["tick_before"] = tick_baseline(broker)
    return row


def fmt(row, key, scale=1.0, unit="s"):
    value = row.get(key)
    if value is None:
        return "-"
    if isinstance(value, list):
        return f"{sorted(value)[len(value) // 2] * scale:.2f}/{p95(value) * scale:.2f}"
    return f"{value[0] if isinstance(value, tuple) else value:.2f}{unit}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 100, 300])
    parser.add_argument("--with-1000", action="store_true")
    parser.add_argument("--signups", type=int, default=10)
    parser.add_argument("--baseline-max", type=int, default=300, help="slow baselines up to this size")
    parser.add_argument("--tick-locations", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's database")
    args = parser.parse_args()
    sizes = sorted(set(args.sizes + ([1000] if args.with_1000 else [])))
    name = f"bench_tenants_{os.getpid()}"
    server, url = bench_database(name)
    import psycopg

    admin_url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "agency.settings.dev",
           "LOG_LEVEL": "WARNING", "PORTAL_LOCAL_DIR": str(ROOT / ".local")}  # fmt: skip
    os.environ.update(env)
    from _setup import django_setup

    django_setup()
    from django.conf import settings
    from django.core.cache import cache

    from agency.migration_state import migration_leaves

    settings.CACHES["default"]["KEY_PREFIX"] = name  # this run's own counters (the sign-in calendar)

    broker = Broker()
    throwaway = None
    rows = []
    try:
        manage(["migrate", "--noinput", "-v0"], env)
        leaf = dict(migration_leaves())["clients"]
        throwaway = Throwaway(leaf)
        loads = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"database: {server} ({name}); load average {loads}; sizes {sizes}; "
              f"{args.signups} sign-ups each; tick: {args.tick_locations} locations")  # fmt: skip
        for size in sizes:
            row = measure_size(size, args, env, throwaway, broker)
            rows.append(row)
            print(f"-- {size} agencies done (load {row['load']:.2f}): " + ", ".join(
                f"{key} {fmt(row, key)}" for key in row if key not in ("size", "load")))  # fmt: skip
    finally:
        broker.clean()
        _cache_clean(cache, name)
        if throwaway:
            throwaway.close()
        from django.db import connections

        connections.close_all()
        if not args.keep:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    report(rows)


def _cache_clean(cache, prefix):
    client = cache._cache.get_client(None, write=True)
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        client.delete(key)


def report(rows):
    print(
        "\nagencies | load | created/s | sign-up warm p50/p95 s | empty p50/p95 s | every migration | "
        "old clone | migrate no-op (before) | trivial migration (before) | tick p50/max (before, ceiling)"
    )
    for row in rows:
        print(f"{row['size']:8} | {row['load']:4.1f} | {fmt(row, 'grow', unit='')} | {fmt(row, 'warm')} | "
              f"{fmt(row, 'empty')} | {fmt(row, 'naive')} | {fmt(row, 'clone')} | {fmt(row, 'noop')} "
              f"({fmt(row, 'noop_before')}) | {fmt(row, 'trivial')} ({fmt(row, 'trivial_before')}) | "
              f"{fmt(row, 'tick')} ({fmt(row, 'tick_before')}, {fmt(row, 'tick_ceiling')})")  # fmt: skip
    print()
    for row in rows:
        size = row["size"]
        checks = [
            ("sign-up warm p95 <= 0.5 s", p95(row["warm"]) <= 0.5),
            ("sign-up empty p95 <= 1.5 s", p95(row["empty"]) <= 1.5),
        ]
        if size in (100, 1000):
            checks.append(
                (
                    f"no-op migrate <= {10 if size == 100 else 60} s",
                    row["noop"] <= (10 if size == 100 else 60),
                )
            )
        if size == 1000:
            checks.append(("trivial migration <= 300 s", row["trivial"] <= 300))
        if "tick" in row:
            median = sorted(row["tick"])[TICK_ROUNDS // 2]
            checks.append((f"tick <= 5 s (median of {TICK_ROUNDS})", median <= 5))
        print(
            f"{size} agencies: " + "; ".join(f"{label}: {'met' if ok else 'NOT met'}" for label, ok in checks)
        )


if __name__ == "__main__":
    main()

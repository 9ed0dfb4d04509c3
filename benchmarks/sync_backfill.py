"""Backfill throughput against the physical ceiling, in one run and one database.

Measures, for feedback served by the sandbox (a separate process, as PulseBack would be) over
loopback HTTP:

- fetch only: paging through the items with the PulseBack client, no database;
- in rounds (3 by default), each with a big location of its own: the real sync (``location_sync``,
  backfill), with roll-ups and the webhook and alert hooks on (an active webhook endpoint), peak
  RSS after the first (later rounds follow the ceiling's own data in memory); then the ceiling of
  the same items: their binary COPY tuples (prepared beforehand), one COPY into a stage table and
  one ``INSERT ... ON CONFLICT`` into a table shaped like clients_feedback (same indexes, holding
  the same rows of other locations as clients_feedback did for the sync); then the same with the
  table's foreign key to its location (which a sync pays for on every row it inserts: the
  ceiling without it is the issue's measure). The round's client is then removed and the table
  rewritten (``VACUUM FULL``), so every round meets it as the first did: the warm-up's rows and
  no free space, which the backfill extends, as in an agency that grows. (A plain ``VACUUM``
  left the space of the removed rows for the next round's sync to reuse: a tenth faster than
  extending, which its ceiling, in a fresh table, never gets.) Rounds interleave the sync and
  its ceiling, so that both see the machine as it is; the ratio is the median of the rounds;
- a warm-up location's sync first, for the memory growth;
- the naive baseline: one ORM ``update_or_create`` per item.

Runs on the embedded PostgreSQL, or on DATABASE_URL when it is set:

    python benchmarks/sync_backfill.py [--items 100000] [--warmup-items 20000] [--baseline-items 3000]
                                       [--rounds 3]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python benchmarks/sync_backfill.py
"""

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

os.environ.setdefault("PULSEBACK_SANDBOX_ENABLED", "1")
from _setup import ROOT, django_setup

django_setup()

from django.core.management import call_command
from django.db import connection, transaction
from django_tenants.utils import tenant_context

from agency.models import Agency
from agency.webhooks.models import Event, WebhookEndpoint
from clients.feedback_items import (
    COPY_HEADER,
    COPY_TRAILER,
    STAGE_COLUMNS,
    canonical_json,
    content_hash,
    item_check,
    stage_item,
)
from clients.models import Client, Feedback, Location, SyncKind, SyncState
from clients.pulseback import SessionTokenProvider
from clients.pulseback.client import MAX_PAGE_SIZE
from clients.services import client_remove
from clients.sessions import pulseback_client_for
from clients.sync import location_sync

SLUG = "bench-ingest"
PASSWORD = "bench-password"
NAIVE_FIELDS = (
    "created_at", "customer_name", "customer_email", "rating",
    "comment", "sentiment", "sentiment_score", "status",
)  # fmt: skip
COLUMNS = ", ".join(STAGE_COLUMNS)
CEILING_SQL = f"""
INSERT INTO bench_ceiling AS f (location_id, client_id, first_seen_at, last_seen_at, {COLUMNS})
SELECT %(location)s, %(client)s, now(), now(), {COLUMNS} FROM pg_temp.bench_stage
ON CONFLICT (location_id, pulseback_id) DO UPDATE SET
    {", ".join(f"{name} = EXCLUDED.{name}" for name in list(STAGE_COLUMNS)[1:])}, last_seen_at = now()
WHERE f.content_hash IS DISTINCT FROM EXCLUDED.content_hash
"""  # noqa: S608 - constant column names


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sandbox():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "pulseback_sandbox", "--port", str(port), "--verbosity", "0"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{base}/__sandbox__/stats", timeout=1)  # noqa: S310 - loopback
            return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the sandbox did not start")


def sandbox_call(base, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base}/__sandbox__/{path}", data=data)
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=300) as answer:  # noqa: S310 - loopback
        return json.loads(answer.read())


def new_location(base, client, email):
    return Location.objects.create(
        client=client,
        name=email,
        pulseback_email=email,
        pulseback_password=PASSWORD,
        api_url=f"{base}/api",
        auth_url=base,
        anon_key="sandbox-anon-key",
    )


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def fetch_only(location):
    """Page through the location's items with the PulseBack client; no database while paging."""
    with pulseback_client_for(location) as client:
        tokens = SessionTokenProvider(client, client.sign_in(location.pulseback_email, PASSWORD))
        offset, count, start = 0, 0, time.perf_counter()
        while True:
            page = client.list_feedback(tokens, limit=MAX_PAGE_SIZE, offset=offset)
            count += len(page.items)
            offset += MAX_PAGE_SIZE
            if len(page.items) < MAX_PAGE_SIZE:
                return count, time.perf_counter() - start


def sync(location):
    """The real backfill; returns the run, its seconds and the seconds of each written batch."""
    marks = [time.perf_counter()]
    run = location_sync(
        location_id=location.pk,
        kind=SyncKind.BACKFILL,
        on_progress=lambda run: marks.append(time.perf_counter()),
    )
    elapsed = time.perf_counter() - marks[0]
    assert run.state == SyncState.SUCCEEDED, (run.state, run.error)
    return run, elapsed, [b - a for a, b in zip(marks, marks[1:], strict=False)]


def naive_backfill(location):
    """The baseline: page through and ``update_or_create`` each item (its own transaction).
    Returns the seconds in all (paging included, as for the sync) and those of each item."""
    took = []
    with pulseback_client_for(location) as client:
        tokens = SessionTokenProvider(client, client.sign_in(location.pulseback_email, PASSWORD))
        offset, begin = 0, time.perf_counter()
        while True:
            page = client.list_feedback(tokens, limit=MAX_PAGE_SIZE, offset=offset)
            for item in page.items:
                start = time.perf_counter()
                item_check(item)
                Feedback.objects.update_or_create(
                    location=location,
                    pulseback_id=item["id"],
                    defaults={
                        **{name: item[name] for name in NAIVE_FIELDS},
                        "themes": item["themes"] or [],
                        "source": item["source"] or "",
                        "raw": item,
                        "content_hash": content_hash(canonical_json(item)),
                        "client_id": location.client_id,
                    },
                )
                took.append(time.perf_counter() - start)
            offset += MAX_PAGE_SIZE
            if len(page.items) < MAX_PAGE_SIZE:
                return time.perf_counter() - begin, took


def ceiling(location, rows, *, foreign_key=False):
    """One binary COPY of ``rows`` into a stage, one INSERT ... ON CONFLICT into a fresh table
    shaped like clients_feedback (its indexes and constraints but foreign keys; ``foreign_key``:
    with the one to its location, checked at commit as Django's are) and holding its rows of other
    locations, committed; returns seconds."""
    stage = ", ".join(f"{name} {kind}" for name, kind in STAGE_COLUMNS.items())
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_ceiling; DROP TABLE IF EXISTS pg_temp.bench_stage")
        cursor.execute("CREATE TABLE bench_ceiling (LIKE clients_feedback INCLUDING ALL)")
        cursor.execute(
            "INSERT INTO bench_ceiling SELECT * FROM clients_feedback WHERE location_id <> %s;"
            "SELECT setval(pg_get_serial_sequence('bench_ceiling', 'id'), max(id)) FROM clients_feedback",
            [location.pk],
        )
        if foreign_key:
            cursor.execute(
                "ALTER TABLE bench_ceiling ADD FOREIGN KEY (location_id) REFERENCES clients_location (id) "
                "DEFERRABLE INITIALLY DEFERRED"
            )
        cursor.execute(f"CREATE TEMP TABLE bench_stage ({stage})")
        start = time.perf_counter()
        with transaction.atomic():
            with cursor.copy(f"COPY pg_temp.bench_stage ({COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(b"".join((COPY_HEADER, *rows, COPY_TRAILER)))
            cursor.execute(CEILING_SQL, {"location": location.pk, "client": location.client_id})
            assert cursor.rowcount == len(rows), cursor.rowcount
        elapsed = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_ceiling; DROP TABLE pg_temp.bench_stage")
    return elapsed


def database_label():
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    settings = connection.settings_dict
    if os.environ.get("DATABASE_URL"):
        where = f"DATABASE_URL {settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    else:
        where = f"embedded PostgreSQL ({settings['HOST']})"
    return f"{where}, PostgreSQL {version}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--warmup-items", type=int, default=20_000)
    parser.add_argument("--baseline-items", type=int, default=3_000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of sync, ceiling, ceiling with the key")
    args = parser.parse_args()
    call_command("migrate", interactive=False, verbosity=0)
    for old in Agency.objects.filter(slug=SLUG):  # a fresh schema for every run: comparable figures
        old.delete(force_drop=True)
    agency = Agency(slug=SLUG, name="Ingest Benchmark", schema_name=Agency.schema_name_for(SLUG))
    agency.save(verbosity=0)  # its schema, cloned from the template; no owner needed here
    agencies = Agency.objects.exclude(schema_name="public").count()
    load_before = os.getloadavg()
    sandbox, base = start_sandbox()
    stamp = int(time.time())
    bulks = [f"bulk{number}" for number in range(1, args.rounds + 1)]
    sizes = {"warmup": args.warmup_items, **dict.fromkeys(bulks, args.items), "naive": args.baseline_items}
    emails = {label: f"{label}-{stamp}@bench.test" for label in sizes}
    try:
        for label, items in sizes.items():
            sandbox_call(base, "accounts", {"email": emails[label], "password": PASSWORD, "items": items})
        with tenant_context(agency):
            WebhookEndpoint.objects.create(
                url="https://hooks.bench.test/portal", events=list(Event.values), secret="bench-secret"
            )
            # A client of its own for each round's location, removed after the round.
            locations = {
                label: new_location(base, Client.objects.create(name=f"{label} {stamp}"), emails[label])
                for label in sizes
            }
            rss_start = peak_rss_mb()
            fetched, fetch_s = fetch_only(locations["bulk1"])
            synced, ceiling_s, keyed_s = {}, [], []
            for label in ("warmup", *bulks):
                run, elapsed, batches = sync(locations[label])
                assert run.created == sizes[label], (run.created, sizes[label])
                synced[label] = (elapsed, batches, peak_rss_mb())
                if label == "warmup":
                    continue
                # The ceiling of the same items, between the sync rounds (so both see the machine as
                # it is then); then the table back as it was, so every round starts alike.
                truth = sandbox_call(base, f"items?email={emails[label]}")["items"]
                data_mb = sum(len(canonical_json(item)) for item in truth) / 1e6
                rows = [stage_item(item).row for item in truth]
                del truth
                ceiling_s.append(ceiling(locations[label], rows))
                keyed_s.append(ceiling(locations[label], rows, foreign_key=True))
                del rows
                client_remove(actor=None, client=locations[label].client)
                with connection.cursor() as cursor:
                    cursor.execute("VACUUM (FULL, ANALYZE) clients_feedback")
            naive = naive_backfill(locations["naive"])
            assert Feedback.objects.filter(location=locations["naive"]).count() == sizes["naive"]
        load_after = os.getloadavg()
    finally:
        sandbox.terminate()
        connection.set_schema_to_public()
        agency.delete(force_drop=True)

    report(
        items=args.items, warmup=args.warmup_items, agencies=agencies, data_mb=data_mb,
        loads=(load_before, load_after), rss_start=rss_start, fetch=(fetched, fetch_s), synced=synced,
        naive=naive, ceiling_s=ceiling_s, keyed_s=keyed_s,
    )  # fmt: skip


def report(*, items, warmup, agencies, data_mb, loads, rss_start, fetch, synced, naive, ceiling_s, keyed_s):
    n = items
    print(f"database: {database_label()}; agencies: {agencies}")
    print(f"data: {n:,} items ({data_mb:.1f} MB of JSON) in one location, {len(ceiling_s)} rounds; "
          f"warm-up {warmup:,} items")  # fmt: skip
    print(
        "load average (1, 5, 15 min): before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f}".format(
            *loads[0], *loads[1]
        )
    )
    fetched, fetch_s = fetch
    print(f"fetch only (no database) {fetched:>9,} items {fetch_s:6.2f} s {fetched / fetch_s:8,.0f} items/s")
    for label, (elapsed, batches, peak) in synced.items():
        size = warmup if label == "warmup" else n
        # Later rounds follow the ceiling's preparation (every item in memory): their peak is its.
        memory = f"peak RSS {peak:.0f} MB" if label in ("warmup", "bulk1") else ""
        print(
            f"sync backfill {label:<10} {size:>9,} items {elapsed:6.2f} s {size / elapsed:8,.0f} items/s  "
            f"batches of ~{size / len(batches):,.0f}: median {statistics.median(batches) * 1000:5.1f} ms, "
            f"p95 {percentile(batches, 0.95) * 1000:5.1f} ms  {memory}"
        )
    rounds = [elapsed for label, (elapsed, _, _) in synced.items() if label != "warmup"]
    growth = synced["bulk1"][2] - synced["warmup"][2]
    print(f"peak RSS: {rss_start:.0f} MB before syncing; +{growth:.0f} MB from {warmup:,} to {n:,} items")
    naive_s, took = naive
    naive_rate = len(took) / naive_s
    print(
        f"naive baseline {len(took):>19,} items {naive_s:6.2f} s {naive_rate:8,.0f} items/s  "
        f"update_or_create per item: median {statistics.median(took) * 1000:.2f} ms, "
        f"p95 {percentile(took, 0.95) * 1000:.2f} ms"
    )
    middle, keyed_middle = statistics.median(ceiling_s), statistics.median(keyed_s)
    print(
        f"ceiling: COPY + one upsert {n:>7,} rows  {middle:6.2f} s {n / middle:8,.0f} rows/s   "
        f"rounds: {', '.join(f'{s:.2f}' for s in ceiling_s)} s"
    )
    print(
        f"  the same with the foreign key to the location (the sync cannot skip it): {keyed_middle:.2f} s "
        f"{n / keyed_middle:8,.0f} rows/s   rounds: {', '.join(f'{s:.2f}' for s in keyed_s)} s"
    )
    ratios = [ceiling / sync for ceiling, sync in zip(ceiling_s, rounds, strict=True)]
    keyed = [ceiling / sync for ceiling, sync in zip(keyed_s, rounds, strict=True)]
    sync_rate = n / statistics.median(rounds)
    ratio = statistics.median(ratios)
    met = {True: "met", False: "NOT met"}
    print(
        f"sync / ceiling, median of the rounds {ratio:.0%} (rounds {', '.join(f'{r:.0%}' for r in ratios)}; "
        f">= 50%: {met[ratio >= 0.5]}), with the foreign key {statistics.median(keyed):.0%} "
        f"(rounds {', '.join(f'{r:.0%}' for r in keyed)})"
    )
    print(
        f"sync, median of the rounds: {sync_rate:,.0f} items/s (>= 15,000: {met[sync_rate >= 15_000]}); "
        f"flat memory (< 20 MB more for {n / warmup:.0f}x the items): {met[growth < 20]}; "
        f"{sync_rate / naive_rate:.0f}x the naive baseline"
    )


if __name__ == "__main__":
    main()

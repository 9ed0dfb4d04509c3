"""Backfill throughput: 100,000 feedback items for one location, from the sandbox over loopback.

Prints items per second and peak memory for the real sync (bulk upserts), and
the same for a naive baseline (one ORM ``update_or_create`` per item) in the
same run. The sandbox runs as a separate process, as PulseBack would.

    python benchmarks/sync_backfill.py [--items 100000] [--baseline-items 5000]
"""

import argparse
import hashlib
import json
import os
import resource
import socket
import subprocess
import sys
import time
import urllib.request

os.environ.setdefault("PULSEBACK_SANDBOX_ENABLED", "1")
from _setup import ROOT, django_setup

django_setup()

from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from agency.models import Agency
from agency.services import agency_create
from clients.feedback_items import item_check
from clients.models import Client, Feedback, Location, SyncKind
from clients.sessions import LocationTokens, pulseback_client_for
from clients.sync import PAGE_SIZE, location_sync

PASSWORD = "bench-password"
NAIVE_FIELDS = (
    "created_at", "customer_name", "customer_email", "rating",
    "comment", "sentiment", "sentiment_score", "status",
)  # fmt: skip


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


def add_account(base, email, items):
    body = json.dumps({"email": email, "password": PASSWORD, "items": items}).encode()
    request = urllib.request.Request(f"{base}/__sandbox__/accounts", data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    urllib.request.urlopen(request, timeout=120).read()  # noqa: S310 - loopback


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


def naive_backfill(location):
    """The baseline: page through and ``update_or_create`` each item."""
    with pulseback_client_for(location) as client:
        tokens = LocationTokens(location, client)
        offset = 0
        while True:
            page = client.list_feedback(tokens, limit=PAGE_SIZE, offset=offset)
            for item in page.items:
                item_check(item)
                fields = {name: item[name] for name in NAIVE_FIELDS}
                Feedback.objects.update_or_create(
                    location=location,
                    pulseback_id=item["id"],
                    defaults={
                        **fields,
                        "themes": item["themes"] or [],
                        "source": item["source"] or "",
                        "raw": item,
                        "content_hash": hashlib.md5(json.dumps(item, sort_keys=True).encode()).hexdigest(),
                        "client_id": location.client_id,
                        "last_seen_at": timezone.now(),
                    },
                )
            offset += PAGE_SIZE
            if len(page.items) < PAGE_SIZE:
                return


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--warmup-items", type=int, default=20_000)
    parser.add_argument("--baseline-items", type=int, default=5_000)
    args = parser.parse_args()
    call_command("migrate", interactive=False, verbosity=0)
    for old in Agency.objects.filter(slug="bench"):  # a fresh schema for every run: comparable figures
        old.delete(force_drop=True)
    agency = agency_create(
        slug="bench",
        name="Benchmark Agency",
        owner_email="bench@bench.test",
        owner_password="Bench-mark-pass-1",
    )
    sandbox, base = start_sandbox()
    stamp = int(time.time())
    try:
        accounts = {
            "warmup": (f"warmup-{stamp}@bench.test", args.warmup_items),
            "bulk": (f"bulk-{stamp}@bench.test", args.items),
            "naive": (f"naive-{stamp}@bench.test", args.baseline_items),
        }
        for email, items in accounts.values():
            add_account(base, email, items)
        with tenant_context(agency):
            client = Client.objects.create(name=f"Benchmark {stamp}")
            results = {}
            rss_start = peak_rss_mb()
            for label in ("warmup", "bulk"):
                email, items = accounts[label]
                location = new_location(base, client, email)
                start = time.perf_counter()
                run = location_sync(location_id=location.pk, kind=SyncKind.BACKFILL)
                elapsed = time.perf_counter() - start
                assert run.created == items, (run.created, items)
                results[label] = (items, elapsed, peak_rss_mb())
            email, items = accounts["naive"]
            location = new_location(base, client, email)
            start = time.perf_counter()
            naive_backfill(location)
            naive_elapsed = time.perf_counter() - start
            assert Feedback.objects.filter(location=location).count() == items
    finally:
        sandbox.terminate()
        connection.set_schema_to_public()
        agency.delete(force_drop=True)

    warm_items, warm_s, warm_peak = results["warmup"]
    bulk_items, bulk_s, bulk_peak = results["bulk"]
    bulk_rate, naive_rate = bulk_items / bulk_s, items / naive_elapsed
    print(f"process peak RSS before syncing: {rss_start:.0f} MB")
    print(
        f"sync backfill {warm_items:>7} items: {warm_s:6.2f} s  {warm_items / warm_s:8.0f} items/s  "
        f"peak RSS {warm_peak:.0f} MB"
    )
    print(
        f"sync backfill {bulk_items:>7} items: {bulk_s:6.2f} s  {bulk_rate:8.0f} items/s  "
        f"peak RSS {bulk_peak:.0f} MB "
        f"(+{bulk_peak - warm_peak:.0f} MB for {bulk_items / warm_items:.0f}x the items)"
    )
    print(
        f"naive baseline {items:>6} items: {naive_elapsed:6.2f} s  {naive_rate:8.0f} items/s "
        "(update_or_create per item)"
    )
    met = {True: "met", False: "NOT met"}
    print(
        f"speed-up: {bulk_rate / naive_rate:.0f}x   targets: >= 10000 items/s {met[bulk_rate >= 10_000]}, "
        f">= 20x the baseline {met[bulk_rate >= 20 * naive_rate]}"
    )


if __name__ == "__main__":
    main()

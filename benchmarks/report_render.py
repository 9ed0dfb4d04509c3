"""Report rendering: one client with 100,000 items in the period, and a monthly batch of 200 clients.

Prints the render time (median, p95) of a report with every section (cover,
charts, themes, comments, drivers), its PDF size, and the process's peak memory
after the first and the last of 20 renders (flat: no growth per render),
against a naive baseline that loads the period's feedback into Python to
compute the same key figures; then the wall time of rendering 200 clients'
monthly reports with two worker processes (the Celery worker's concurrency on
2 cores). Targets: median at most 1.0 s, peak memory flat.

    python benchmarks/report_render.py [--items 100000] [--runs 20] [--clients 200]
"""

import argparse
import os
import resource
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date

from _setup import django_setup, summary

django_setup()

from django.core.management import call_command
from django.db import connection
from django_tenants.utils import tenant_context

from agency.models import Agency
from agency.services import agency_create
from clients.models import Client, Feedback, Location
from clients.rollups import feedback_daily_rebuild
from reports.models import ALL_SECTIONS, Report
from reports.rendering import pdf_page_count
from reports.services import report_render

START, END = date(2026, 9, 1), date(2026, 9, 30)
THEMES = ["service", "food quality", "wait time", "price", "cleanliness", "staff", "ambience", "parking"]
INSERT_SQL = """
INSERT INTO clients_feedback (location_id, client_id, pulseback_id, created_at, customer_name, customer_email,
    rating, comment, sentiment, sentiment_score, themes, status, source, raw, content_hash,
    first_seen_at, last_seen_at)
SELECT %(location)s, %(client)s, 'bench-' || %(location)s || '-' || g,
    timestamptz '2026-09-01 00:00+00' + (g %% (30 * 24 * 60)) * interval '1 minute',
    'Customer ' || g, NULL, 1 + (g * 7 %% 5),
    CASE WHEN g %% 3 = 0 THEN 'Comment number ' || g || ' about the ' || (%(themes)s::text[])[1 + g %% 8] END,
    (ARRAY['positive', 'neutral', 'negative'])[1 + (g %% 3)], ((g %% 200) - 100) / 100.0,
    ARRAY[(%(themes)s::text[])[1 + g %% 8], (%(themes)s::text[])[1 + g %% 5]],
    (ARRAY['new', 'reviewed', 'resolved'])[1 + (g %% 3)], (ARRAY['widget', 'phone', 'email'])[1 + g %% 3],
    '{}'::jsonb, '', now(), now()
FROM generate_series(1, %(count)s) AS g
"""


def make_client(name, items, locations=2):
    client = Client.objects.create(name=name, timezone="UTC")
    for i in range(locations):
        location = Location.objects.create(
            client=client, name=f"{name} {i + 1}", pulseback_email=f"x{i}@x.test"
        )
        with connection.cursor() as cursor:
            cursor.execute(INSERT_SQL, {"location": location.pk, "client": client.pk, "themes": THEMES,
                                        "count": items // locations})  # fmt: skip
    feedback_daily_rebuild(client=client)
    return client


def render(client):
    report = Report(client=client, start=START, end=END, sections=ALL_SECTIONS,
                    commentary="What we did:\n\n- answered every review\n- **new** menu")  # fmt: skip
    return report_render(report=report)


def naive_kpis(client):
    """The baseline: every item of the period into Python, key figures by loops."""
    rows = list(Feedback.objects.filter(client=client, created_at__date__gte=START, created_at__date__lte=END)
                .values("rating", "sentiment", "status", "themes", "source", "location_id"))  # fmt: skip
    count = len(rows)
    return {
        "average": sum(r["rating"] for r in rows) / count,
        "negative": sum(r["sentiment"] == "negative" for r in rows) / count,
        "themes": {t: sum(t in r["themes"] for r in rows) for t in THEMES},
    }


def _batch_worker(args):
    slug, client_ids = args
    django_setup()
    from django_tenants.utils import tenant_context as ctx

    agency = Agency.objects.get(slug=slug)
    with ctx(agency):
        for pk in client_ids:
            render(Client.objects.get(pk=pk))
    return len(client_ids)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--items-per-client", type=int, default=500)
    args = parser.parse_args()
    call_command("migrate", interactive=False, verbosity=0)
    for old in Agency.objects.filter(slug="bench-reports"):
        old.delete(force_drop=True)
    agency = agency_create(slug="bench-reports", name="Benchmark Agency", owner_email="b@b.test",
                           owner_password="Bench-mark-pass-1")  # fmt: skip
    try:
        with tenant_context(agency):
            big = make_client("Big Client", args.items)
            render(big)  # warm-up: templates, fonts
            timings, cpu, naive, peaks = [], [], [], []
            for _ in range(args.runs):
                started, started_cpu = time.perf_counter(), time.process_time()
                pdf = render(big)
                timings.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
                peaks.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            for _ in range(min(args.runs, 5)):
                started = time.perf_counter()
                naive_kpis(big)
                naive.append(time.perf_counter() - started)
            batch = [make_client(f"Client {i:03d}", args.items_per_client).pk for i in range(args.clients)]
        print(f"report of {args.items} items: {len(pdf) // 1024} KB PDF, {pdf_page_count(pdf)} pages")
        print(summary("render (roll-ups + WeasyPrint)", timings))
        print(summary("  of which this process's CPU time", cpu))
        print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(summary("naive key figures alone (Python loops)", naive))
        growth = peaks[-1] - peaks[0]
        print(f"peak RSS after render 1: {peaks[0]:.0f} MB, after render {len(peaks)}: {peaks[-1]:.0f} MB "
              f"({growth:+.0f} MB): {'flat' if growth <= 10 else 'GROWING'}")  # fmt: skip
        median = statistics.median(timings)
        print(f"single report target <= 1.0 s: {'met' if median <= 1.0 else 'NOT met'} ({median:.2f} s)")
        if args.clients == 0:
            return
        chunks = [(agency.slug, batch[i::2]) for i in range(2)]
        connection.close()
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=2) as pool:
            done = sum(pool.map(_batch_worker, chunks))
        wall = time.perf_counter() - started
        print(f"monthly batch: {done} clients in {wall:.1f} s wall with 2 processes "
              f"({wall / done * 2:.2f} s per report per process); target < 120 s: "
              f"{'met' if wall < 120 else 'NOT met'}")  # fmt: skip
    finally:
        connection.set_schema_to_public()
        agency.delete(force_drop=True)


if __name__ == "__main__":
    main()

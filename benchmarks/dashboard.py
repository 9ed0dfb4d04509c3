"""Dashboard speed: a client with 1,000,000 feedback items, and a portfolio of 300 clients with
1,000 locations: the client dashboard, the portfolio overview (totals, trend, needs attention, the
client list; whole portfolio or one group), the location leaderboard with its CSV export, and the
feedback lists: ``GET /api/v1/feedback`` (PulseBack's filters, offsets up to 10,000, exact totals)
and the inbox's first page.

Loads the items with one INSERT ... SELECT generate_series (no PulseBack needed),
builds the daily roll-ups, then measures the server time of each page through Django's
test client (whole request: middleware, queries, charts, templates). Prints, in the same
run, a naive baseline that aggregates the raw feedback table for the same figures (for the
lists: the page sorted from the whole table and a count of the matching rows, index scans
off), the index each list's page walks, and the database and load average it ran with.

    python benchmarks/dashboard.py [--items 1000000] [--clients 300] [--locations 1000] [--requests 30]
"""

import argparse
import os
import random
import re
import resource
import time
from urllib.parse import urlencode

from _setup import django_setup, summary

django_setup()

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client as TestClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from agency.api.services import api_token_create
from agency.models import Agency
from agency.services import agency_create
from agency.team.models import User
from clients.api.selectors import feedback_list, feedback_page
from clients.models import Client, ConnectionState, Location
from clients.portfolio.models import ClientGroup, GroupKind
from clients.rollups import feedback_daily_rebuild

SLUG = "bench-dashboard"
ZONES = ("America/New_York", "Europe/Paris", "Europe/London", "America/Los_Angeles", "Australia/Sydney")
PASSWORD = "Bench-mark-pass-1"
# GET /api/v1/feedback: PulseBack's filters, each at these offsets (20 items a page).
API_FILTERS = (
    ("no filter", {}),
    ("status=new", {"status": "new"}),
    ("sentiment=negative", {"sentiment": "negative"}),
    ("days=30", {"days": 30}),
    ("days=7&status=resolved", {"days": 7, "status": "resolved"}),
)
API_OFFSETS = (0, 1000, 10000)

LOAD_SQL = """
INSERT INTO clients_feedback (
    location_id, client_id, pulseback_id, created_at, customer_name, customer_email, rating, comment,
    sentiment, sentiment_score, themes, status, source, raw, content_hash, first_seen_at, last_seen_at)
SELECT
    (%(locations)s::bigint[])[1 + g %% cardinality(%(locations)s::bigint[])], %(client)s, 'bench-' || g,
    %(now)s::timestamptz - (g * %(spacing)s * interval '1 second'),
    'Customer ' || g, NULL, 1 + (g * 7 + g / 13) %% 5, 'Comment number ' || g,
    (ARRAY['positive', 'neutral', 'negative', NULL])[1 + (g / 3) %% 4], NULL,
    ARRAY[(ARRAY['service', 'food', 'price', 'wait', 'cleanliness', 'staff'])[1 + g %% 6]],
    (ARRAY['new', 'reviewed', 'resolved'])[1 + (g / 7) %% 3],
    (ARRAY['qr', 'google', 'email', 'sms'])[1 + (g / 5) %% 4],
    '{}'::jsonb, md5(g::text), %(now)s, %(now)s
FROM generate_series(1, %(items)s) AS g
"""

NAIVE_KPIS = """
SELECT count(*) FILTER (WHERE cur), avg(rating) FILTER (WHERE cur),
    count(*) FILTER (WHERE cur AND sentiment = 'positive'),
    count(*) FILTER (WHERE cur AND sentiment = 'neutral'),
    count(*) FILTER (WHERE cur AND sentiment = 'negative'),
    count(*) FILTER (WHERE cur AND status = 'resolved'),
    count(*) FILTER (WHERE cur AND status = 'new'), count(*) FILTER (WHERE cur AND rating = 1),
    count(*) FILTER (WHERE NOT cur), avg(rating) FILTER (WHERE NOT cur)
FROM (SELECT *, created_at >= %(start)s AS cur FROM clients_feedback
      WHERE client_id = %(client)s AND removed_at IS NULL
        AND created_at >= %(previous)s AND created_at < %(end)s) f
"""
NAIVE_SERIES = """
SELECT (created_at AT TIME ZONE %(tz)s)::date, count(*), avg(rating),
    count(*) FILTER (WHERE sentiment = 'negative')
FROM clients_feedback WHERE client_id = %(client)s AND removed_at IS NULL
    AND created_at >= %(start)s AND created_at < %(end)s GROUP BY 1 ORDER BY 1
"""
NAIVE_THEMES = """
SELECT t, count(*), count(*) FILTER (WHERE sentiment = 'negative')
FROM clients_feedback, unnest(themes) AS t WHERE client_id = %(client)s AND removed_at IS NULL
    AND created_at >= %(start)s AND created_at < %(end)s GROUP BY 1 ORDER BY 2 DESC LIMIT 12
"""
NAIVE_SOURCES = """
SELECT source, count(*) FROM clients_feedback WHERE client_id = %(client)s AND removed_at IS NULL
    AND created_at >= %(start)s AND created_at < %(end)s GROUP BY 1 ORDER BY 2 DESC LIMIT 12
"""
NAIVE_LOCATIONS = """
SELECT location_id, count(*), avg(rating) FROM clients_feedback WHERE client_id = %(client)s
    AND removed_at IS NULL AND created_at >= %(start)s AND created_at < %(end)s GROUP BY 1
"""
NAIVE_OVERVIEW = """
SELECT c.id, count(f.id) FILTER (WHERE f.created_at >= %(start)s), avg(f.rating) FILTER (WHERE f.created_at >= %(start)s),
    count(f.id) FILTER (WHERE f.created_at < %(start)s), avg(f.rating) FILTER (WHERE f.created_at < %(start)s),
    count(f.id) FILTER (WHERE f.created_at >= %(start)s AND f.sentiment = 'negative'),
    count(f.id) FILTER (WHERE f.created_at >= %(start)s AND f.status = 'new')
FROM clients_client c LEFT JOIN clients_feedback f ON f.client_id = c.id AND f.removed_at IS NULL
    AND f.created_at >= %(previous)s AND f.created_at < %(end)s
GROUP BY c.id
"""  # noqa: E501


def load(client, locations, items, spacing_seconds, now):
    with connection.cursor() as cursor:
        cursor.execute(
            LOAD_SQL,
            {
                "locations": [loc.pk for loc in locations],
                "client": client.pk,
                "now": now,
                "spacing": spacing_seconds,
                "items": items,
            },
        )


def portfolio_load(args, now, first):
    """The other clients (``args.clients`` - 1) and their locations (``args.locations`` in all, ``first``
    already made), each with ``args.small_items`` items over a year; as a real portfolio: most
    locations synced a minute ago, some with a broken login, some with stale data."""
    rng = random.Random(7)
    clients = [Client.objects.create(name=f"Client {n:04d}", timezone=rng.choice(ZONES))
               for n in range(args.clients - 1)]  # fmt: skip
    states = [(ConnectionState.CONNECTED, now)] * 95 + [(ConnectionState.INVALID_CREDENTIALS, now)] * 2
    states += [(ConnectionState.CONNECTED, now - timezone.timedelta(hours=8))] * 2
    states += [(ConnectionState.UNREACHABLE, now - timezone.timedelta(hours=2))]
    places = {client.pk: [] for client in clients}
    for n in range(args.locations - first):
        client = clients[n % len(clients)]
        state, synced = rng.choice(states)
        places[client.pk].append(Location.objects.create(
            client=client, name=f"Site {len(places[client.pk]) + 1}", pulseback_email=f"c{n}@bench.test",
            state=state, last_synced_at=synced,
        ))  # fmt: skip
    for client in clients:
        if places[client.pk]:
            load(client, places[client.pk], args.small_items, 365 * 86400 / args.small_items, now)
    return clients


def timed(function, repeat):
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return seconds


def naive_dashboard(client_id, days, now):
    params = {
        "client": client_id,
        "tz": "Europe/Paris",
        "start": now - timezone.timedelta(days=days),
        "previous": now - timezone.timedelta(days=2 * days),
        "end": now,
    }
    with connection.cursor() as cursor:
        for sql in (NAIVE_KPIS, NAIVE_SERIES, NAIVE_THEMES, NAIVE_SOURCES, NAIVE_LOCATIONS):
            cursor.execute(sql, params)
            cursor.fetchall()


def naive_overview(days, now):
    params = {
        "start": now - timezone.timedelta(days=days),
        "previous": now - timezone.timedelta(days=2 * days),
        "end": now,
    }
    with connection.cursor() as cursor:
        cursor.execute(NAIVE_OVERVIEW, params)
        cursor.fetchall()


def naive_list(user, filters, offset):
    """The feedback list the old way: its page sorted from the whole table, and a count of the rows."""

    def run():
        with transaction.atomic(), connection.cursor() as cursor:
            for setting in ("enable_indexscan", "enable_indexonlyscan", "enable_bitmapscan"):
                cursor.execute(f"SET LOCAL {setting} = off")
            items = feedback_list(user=user, filters=filters)
            list(items[offset : offset + 20])
            items.count()

    return run


def plans(user, params, offset):
    """What each query of the API's answer walks (EXPLAIN): the indexes of the page's, then of the
    total's; a sequential scan of a big table would be named."""
    with CaptureQueriesContext(connection) as queries:
        feedback_page(user=user, filters={**params, "limit": 20, "offset": offset})
    found = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            if not query["sql"].lstrip().startswith(("SELECT", "WITH")):
                continue  # the tenant's search_path
            cursor.execute("EXPLAIN " + query["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
            used = set(re.findall(r"(?:using|Bitmap Index Scan on) (\w+)", plan))
            used |= {
                f"SEQ SCAN of {table}" for table in re.findall(r"Seq Scan on (clients_feedback\w*)", plan)
            }
            found.append(", ".join(sorted(used)))
    return "; ".join(found)


def get_ok(browser, path):
    def request():
        response = browser.get(path)
        assert response.status_code == 200, (path, response.status_code)

    return request


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export(browser, client, items):
    """Stream the CSV export of the big client; the process's peak memory must not grow with it."""
    before = peak_rss_mb()
    start = time.perf_counter()
    response = browser.get(f"/feedback/export.csv?client={client.pk}")
    size = lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - start
    assert lines >= items, (lines, items)
    return (
        f"CSV export of {items} items: {elapsed:.1f} s, {size / 1e6:.0f} MB, "
        f"peak RSS +{peak_rss_mb() - before:.0f} MB"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument(
        "--clients", type=int, default=300, help="clients in the overview (the big one included)"
    )
    parser.add_argument("--locations", type=int, default=1000, help="locations of all the clients together")
    parser.add_argument("--small-items", type=int, default=1000, help="items of each other client")
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    settings.API_RATE_LIMIT = 10**9  # the API's figures take more requests a minute than a token may
    call_command("migrate", interactive=False, verbosity=0)
    for old in Agency.objects.filter(slug=SLUG):  # a fresh schema for every run: comparable figures
        old.delete(force_drop=True)
    agency = agency_create(
        slug=SLUG, name="Dashboard Benchmark", owner_email="o@bench.test", owner_password=PASSWORD
    )
    now = timezone.now()
    figures = []
    database = f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}"
    try:
        with tenant_context(agency):
            big = Client.objects.create(name="Big Client", timezone="Europe/Paris")
            locations = [
                Location.objects.create(client=big, name=f"Site {n}", pulseback_email=f"s{n}@bench.test")
                for n in range(1, 4)
            ]
            start = time.perf_counter()
            load(big, locations, args.items, 2 * 365 * 86400 / args.items, now)
            load_s = time.perf_counter() - start
            start = time.perf_counter()
            others = portfolio_load(args, now, first=len(locations))
            small_s = time.perf_counter() - start
            start = time.perf_counter()
            feedback_daily_rebuild(client=big)
            rollup_s = time.perf_counter() - start
            for other in others:
                feedback_daily_rebuild(client=other)
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")  # as autovacuum leaves tables at rest
            rate = args.items / load_s
            print(f"loaded {args.items} items into one client in {load_s:.1f} s ({rate:,.0f} items/s)")
            print(
                f"loaded {args.clients - 1} other clients ({args.locations - len(locations)} locations) "
                f"x {args.small_items} items in {small_s:.1f} s"
            )
            group = ClientGroup.objects.create(name="Sam Jones", kind=GroupKind.ACCOUNT_MANAGER)
            group.clients.set(others[::3])
            print(f"roll-up build of the {args.items}-item client: {rollup_s:.1f} s")

            browser = TestClient(HTTP_HOST=agency.get_primary_domain().domain)
            browser.force_login(User.objects.get(email="o@bench.test"))
            pages = [
                ("client dashboard, 30 days", f"/clients/{big.pk}/?period=30d"),
                ("client dashboard, 90 days", f"/clients/{big.pk}/?period=90d"),
                ("client dashboard, 1 year (custom)", f"/clients/{big.pk}/?period=custom&start="
                 f"{(now - timezone.timedelta(days=364)).date()}&end={now.date()}"),
                ("location dashboard, 30 days", f"/clients/{big.pk}/locations/{locations[0].pk}/?period=30d"),
                (f"portfolio overview, {args.clients} clients", "/?period=30"),
                ("portfolio overview, 90 days, by rating", "/?period=90&sort=-rating"),
                (f"portfolio overview, a group of {len(others[::3])}", f"/?period=30&group={group.pk}"),
                (f"leaderboard, {args.locations} locations", "/locations/?period=30"),
                ("leaderboard, 90 days, by change", "/locations/?period=90&sort=change&min=0"),
                ("leaderboard, a group", f"/locations/?period=30&group={group.pk}"),
                ("leaderboard CSV export", "/locations/export.csv?period=30&min=0"),
            ]  # fmt: skip
            for label, path in pages:
                timed(get_ok(browser, path), 3)  # warm-up
                figures.append(summary(label, timed(get_ok(browser, path), args.requests)))
            owner = User.objects.get(email="o@bench.test")
            _token, raw = api_token_create(user=owner, name="bench", scope="read")
            api = TestClient(HTTP_HOST=agency.get_primary_domain().domain, HTTP_AUTHORIZATION=f"Bearer {raw}")
            lists = [
                (
                    f"API {label}, offset {offset}",
                    api,
                    "/api/v1/feedback?" + urlencode({**params, "offset": offset}),
                )
                for label, params in API_FILTERS
                for offset in API_OFFSETS
            ]
            lists += [
                ("inbox, first page, the big client", browser, f"/feedback/?client={big.pk}"),
                ("inbox, first page, every client", browser, "/feedback/"),
            ]
            for label, client, path in lists:
                timed(get_ok(client, path), 3)  # warm-up
                figures.append(summary(label, timed(get_ok(client, path), args.requests)))
            figures.append(export(browser, big, args.items))
            for label, params in API_FILTERS:
                for offset in (0, API_OFFSETS[-1]):
                    figures.append(f"  API {label}, offset {offset}: {plans(owner, params, offset)}")
            naive = [
                ("naive dashboard queries, 30 days", lambda: naive_dashboard(big.pk, 30, now)),
                ("naive dashboard queries, 1 year", lambda: naive_dashboard(big.pk, 365, now)),
                ("naive overview query, 30 days", lambda: naive_overview(30, now)),
            ]
            naive += [
                (f"naive API {label}, offset {offset}", naive_list(owner, params, offset))
                for label, params in API_FILTERS
                for offset in (0, API_OFFSETS[-1])
            ]
            for label, function in naive:
                function()
                figures.append(summary(label, timed(function, max(5, args.requests // 3))))
    finally:
        connection.set_schema_to_public()
        agency.delete(force_drop=True)
    print("\n".join(figures))
    print(f"database: {database}; load average (1, 5, 15 min): {os.getloadavg()}")
    print("targets: p95 < 150 ms for the client dashboard; p95 < 100 ms for the portfolio overview and the")
    print("leaderboard at 300 clients / 1,000 locations (whole request, roll-ups)")
    print("p95 < 50 ms for the feedback API and the inbox's first page at 1M items (exact totals, offsets")
    print("up to 10,000)")


if __name__ == "__main__":
    main()

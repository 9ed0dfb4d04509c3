"""The portal under load: gunicorn (the production server, deploy/gunicorn.conf.py, production
settings) with several workers, serving a mix of the overview, a client dashboard, the inbox and
the API (feedback list and clients) to 1, 4 and 16 concurrent clients, 30 s each.

In a database of its own (dropped at the end) on the embedded PostgreSQL or the server of
DATABASE_URL: one agency, ``--clients`` clients with ``--locations`` locations and ``--items``
feedback items. Compared, in the same run, with the naive baseline (the same mix on one gunicorn
worker) and the ceiling (``/healthz``, the cheapest request: middleware, a database and a broker
ping) at concurrency 4. The load generator runs on the same machine (threads, keep-alive).

    python benchmarks/web_load.py [--workers 4] [--seconds 30] [--items 100000]
"""

import argparse
import http.client
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from urllib.parse import urlsplit, urlunsplit

from _setup import ROOT
from many_tenants import bench_database

SLUG = "bench-web"
CONCURRENCY = (1, 4, 16)


def setup(args, secret):
    """The agency, its clients, locations and feedback; returns (host, session cookie, API token,
    client ids)."""
    from dashboard import load
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.test import override_settings
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from agency.api.services import api_token_create
    from agency.services import agency_create
    from agency.team.models import User
    from clients.models import Client, ConnectionState, Location
    from clients.rollups import feedback_daily_rebuild

    call_command("migrate", interactive=False, verbosity=0)
    agency = agency_create(
        slug=SLUG, name="Bench Web", owner_email="o@web.test", owner_password="Bench-pass-1"
    )
    now = timezone.now()
    with tenant_context(agency):
        user = User.objects.get()
        clients = [Client.objects.create(name=f"Client {n:03d}") for n in range(args.clients)]
        for n, client in enumerate(clients):
            places = [
                Location.objects.create(client=client, name=f"Site {i}", pulseback_email=f"s{n}-{i}@web.test",
                                        state=ConnectionState.CONNECTED, last_synced_at=now)
                for i in range(max(1, args.locations // args.clients))
            ]  # fmt: skip
            load(client, places, args.items // args.clients, 365 * 86400 * args.clients / args.items, now)
            feedback_daily_rebuild(client=client)
        with override_settings(SECRET_KEY=secret):  # the server's: it signs and checks the session
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
        _token, raw = api_token_create(user=user, name="load", scope="read")
        ids = [client.pk for client in clients]
    return agency.get_primary_domain().domain, session.session_key, raw, ids


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(workers, env, work):
    """Start gunicorn with ``workers`` workers; return (process, port) once it answers. Its log
    (with the portal's errors) goes to a file in ``work``."""
    port = free_port()
    env = {**env, "PORT": str(port), "WEB_CONCURRENCY": str(workers), "LOG_LEVEL": "WARNING"}
    log = open(os.path.join(work, f"gunicorn-{workers}.log"), "w+b")  # noqa: SIM115 - the server's
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py", "agency.wsgi"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz", headers={"Host": "localhost"})
            connection.getresponse().read()
            return process, port
        except OSError:
            time.sleep(0.3)
    process.kill()
    log.seek(0)
    raise RuntimeError(f"gunicorn did not start: {log.read().decode()[-2000:]}")


def mix(host, cookie, token, ids):
    """The requests of the mix: (label, path, headers)."""
    page = {"Host": host, "Cookie": f"sessionid={cookie}", "X-Forwarded-Proto": "https"}
    api = {"Host": host, "Authorization": f"Bearer {token}", "X-Forwarded-Proto": "https"}
    return [
        ("overview", lambda: "/", page),
        ("dashboard", lambda: f"/clients/{random.choice(ids)}/", page),
        ("inbox", lambda: "/feedback/", page),
        ("api feedback", lambda: f"/api/v1/feedback?client={random.choice(ids)}&status=new", api),
        ("api clients", lambda: "/api/v1/clients", api),
    ]


def run(port, requests, concurrency, seconds):
    """``concurrency`` threads, each on its own keep-alive connection, for ``seconds``; returns
    {label: [(seconds, HTTP status or the error's name)]}."""
    results = {label: [] for label, _, _ in requests}
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.monotonic() < stop:
            label, path, headers = random.choice(requests)
            started = time.perf_counter()
            try:
                connection.request("GET", path(), headers=headers)
                response = connection.getresponse()
                response.read()
                ok = (
                    response.status
                    if response.status < 300
                    else f"{response.status} {response.getheader('Location')}"
                )
            except (OSError, http.client.HTTPException) as exc:
                ok = type(exc).__name__
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append((label, time.perf_counter() - started, ok))
        with lock:
            for label, elapsed, ok in mine:
                results[label].append((elapsed, ok))

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def line(label, samples, seconds):
    timings = sorted(elapsed for elapsed, _ in samples)
    failures = Counter(str(outcome) for _, outcome in samples if outcome != 200)
    errors = f"{sum(failures.values())} {dict(failures) if failures else ''}"
    if not timings:
        return f"  {label:<14} no requests"
    p50, p95 = timings[len(timings) // 2], timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    rate = len(timings) / seconds
    return (f"  {label:<14} {len(timings):6} req {rate:7.1f} req/s  p50 {p50 * 1000:7.1f} ms"
            f"  p95 {p95 * 1000:7.1f} ms  errors {errors}")  # fmt: skip


def report(title, results, seconds):
    everything = [sample for samples in results.values() for sample in samples]
    print(title)
    print(line("all", everything, seconds))
    for label, samples in results.items():
        print(line(label, samples, seconds))
    return everything


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--locations", type=int, default=60)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--keep-logs", action="store_true", help="keep the servers' logs (printed path)")
    args = parser.parse_args()
    name = f"bench_web_{os.getpid()}"
    server, url = bench_database(name)
    import psycopg

    admin_url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    os.environ.update(
        {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "agency.settings.dev", "LOG_LEVEL": "WARNING"}
    )
    from _setup import django_setup

    django_setup()
    from django.conf import settings
    from django.db import connections

    broker = settings.CELERY_BROKER_URL
    secret = "web-load-benchmark-" + "x" * 40
    work = tempfile.mkdtemp(prefix="web-load-")  # static files, metrics and the servers' logs
    os.makedirs(os.path.join(work, "metrics"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "agency.settings.production", "DATABASE_URL": url,
           "SECRET_KEY": secret, "CELERY_BROKER_URL": broker,
           "CREDENTIALS_KEYS": settings.CREDENTIALS_KEYS[0], "SECURE_SSL_REDIRECT": "0",
           "REDIS_URL": settings.CACHES["default"]["LOCATION"],
           "PROMETHEUS_MULTIPROC_DIR": os.path.join(work, "metrics"),
           "STATIC_ROOT": os.path.join(work, "static"),
           # The server is measured, not the API's per-token throttle (600 a minute by default).
           "API_RATE_LIMIT": "1000000"}  # fmt: skip
    processes = []
    try:
        host, cookie, token, ids = setup(args, secret)
        connections.close_all()
        print(f"database: {server} ({name}); {args.items} feedback items, {args.clients} clients, "
              f"{args.locations} locations, 1 agency; gunicorn, production settings; load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
        collect = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"]
        subprocess.run(collect, cwd=ROOT, env=env, check=True)  # as a deploy does, once
        process, port = serve(args.workers, env, work)
        processes.append(process)
        requests = mix(host, cookie, token, ids)
        run(port, requests, args.workers, 3)  # warm-up, not counted: each worker's first requests
        for concurrency in CONCURRENCY:
            results = run(port, requests, concurrency, args.seconds)
            report(f"\n{args.workers} workers, concurrency {concurrency} (load {os.getloadavg()[0]:.2f}):",
                   results, args.seconds)  # fmt: skip
        ceiling = run(port, [("healthz", lambda: "/healthz", {"Host": "localhost"})], 4, args.seconds)
        report(f"\nceiling: /healthz, concurrency 4 (load {os.getloadavg()[0]:.2f}):", ceiling, args.seconds)
        process.terminate()
        process.wait()
        process, port = serve(1, env, work)
        processes.append(process)
        run(port, requests, 1, 3)
        baseline = run(port, requests, 4, args.seconds)
        report(
            f"\nbaseline: 1 worker, concurrency 4 (load {os.getloadavg()[0]:.2f}):", baseline, args.seconds
        )
    finally:
        for process in processes:
            process.terminate()
            process.wait()
        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if args.keep_logs:
            print(f"the servers' logs: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

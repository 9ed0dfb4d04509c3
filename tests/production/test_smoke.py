"""The production server, as the README's production section runs it: production settings (every
secret set, DEBUG off), ``manage.py migrate`` and ``collectstatic``, then ``honcho`` running
deploy/Procfile (gunicorn with deploy/gunicorn.conf.py, the sync, reports and general workers, and
beat) against the test run's PostgreSQL and Redis, in a database and broker namespace of its own.

PulseBack is the sandbox at a public address over verified TLS, inside a private network namespace
(tests/production/netns.py), so the production address checks stay exactly as they ship.
"""

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from clients.pulseback.sandbox import ANON_KEY, Sandbox
from tests.production.stack import (
    ROOT,
    Browser,
    database_relay,
    fresh_database,
    manage,
    namespaces_available,
    query,
    redis_url,
    samples,
    stop,
    tls_authority,
    wait_until,
)

PULSEBACK_ADDRESS = "44.44.44.44"  # any public address: the namespace has no route out
OWNER, PASSWORD = "owner@smoke.example", "smoke-Test-passw0rd"
BISTRO, BISTRO_PASSWORD = "bistro@sandbox.pulseback.test", "sandbox-bistro"

ARTIFACTS = ROOT / "artifacts" / "production"
NAMESPACE = ["unshare", "--user", "--map-root-user", "--net"]
# The README's start command; --env: this test's variables only, never a developer's .env.
HONCHO = [sys.executable, "-m", "honcho", "--procfile=deploy/Procfile", f"--app-root={ROOT}", "-e/dev/null"]

pytestmark = pytest.mark.production


@pytest.fixture(scope="module")
def stack(django_db_blocker):
    if not namespaces_available():
        message = "the production smoke test needs `unshare --user --net` and `ip` (util-linux, iproute2)"
        if os.environ.get("PORTAL_REQUIRE_NETNS"):
            pytest.fail(message)
        pytest.skip(message)
    if not settings.CELERY_BROKER_URL.startswith("redis+socket://"):
        pytest.skip("the production smoke test runs on the embedded Redis (CELERY_BROKER_URL is set)")
    folder = Path(tempfile.mkdtemp(prefix="smoke-"))  # short: a Unix socket path has ~100 characters
    slug = f"smoke-{os.getpid()}"
    with fresh_database(django_db_blocker, f"smoke_portal_{os.getpid()}") as database:
        ca, cert, key = tls_authority(folder, PULSEBACK_ADDRESS)
        env = _environment(folder, database_relay(folder, database), ca)
        location_id = _install(env, slug)
        log = folder / "processes.log"
        netns = [sys.executable, "tests/production/netns.py", f"--address={PULSEBACK_ADDRESS}"]
        in_namespace = [*NAMESPACE, *netns, f"--cert={cert}", f"--key={key}", "--"]
        with open(log, "w") as output:
            processes = subprocess.Popen(
                [*in_namespace, *HONCHO, "start"], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        try:
            yield Stack(env, folder, database, slug, location_id, log, processes)
        finally:
            stop(processes)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)  # for whoever reads a failure
            shutil.copy(log, ARTIFACTS / "processes.log")
            shutil.rmtree(folder, ignore_errors=True)


def _install(env, slug):
    """The README's steps before starting, then an agency with a client on the namespace's PulseBack;
    returns the location's id."""
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    owner = [f"--owner-email={OWNER}", f"--owner-password={PASSWORD}"]
    manage(env, "create_agency", f"--slug={slug}", "--name=Smoke Agency", *owner)
    login = [f"--pulseback-email={BISTRO}", f"--pulseback-password={BISTRO_PASSWORD}"]
    pulseback = [f"--api-url=https://{PULSEBACK_ADDRESS}/api", f"--auth-url=https://{PULSEBACK_ADDRESS}"]
    pulseback.append(f"--anon-key={ANON_KEY}")
    added = manage(env, "add_client", f"--agency={slug}", "--name=Bistro Verde", *login, *pulseback)
    return int(re.search(r"location (\d+)", added).group(1))


class Stack:
    def __init__(self, env, folder, database, slug, location_id, log, processes):
        self.env, self.folder, self.database = env, folder, database
        self.slug, self.schema, self.location_id = slug, "agency_" + slug.replace("-", "_"), location_id
        self.log, self.processes = log, processes
        self.host = f"{slug}.portal.test"

    def browser(self, host=None):
        return Browser(self.folder / "web.sock", host or self.host)

    def up(self):
        """Gunicorn answers (fails at once, with the processes' output, if they stopped)."""
        assert self.processes.poll() is None, self.log.read_text()[-5000:]
        try:
            return self.browser().get("/healthz").status_code in (200, 503)
        except httpx.TransportError:
            return False

    def rows(self, sql, params=()):
        return query(self.database, sql.replace("{schema}", self.schema), params)

    def log_lines(self, process):
        """The JSON log lines of one kind of process (honcho prefixes each with time and name)."""
        lines = []
        for line in self.log.read_text(errors="replace").splitlines():
            prefix, _, rest = line.partition(" | ")
            if prefix.split()[-1:] and prefix.split()[-1].startswith(process + ".") and rest.startswith("{"):
                lines.append(json.loads(rest))
        return lines


def _environment(folder, database_url, ca):
    bin_dir = str(Path(sys.executable).parent)
    return {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(folder),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "agency.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "CREDENTIALS_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_BROKER_KEY_PREFIX": f"smoke-{os.getpid()}:",
        "REDIS_URL": redis_url(2),
        "PORTAL_DOMAIN": "portal.test",
        "STATIC_ROOT": str(folder / "static"),
        "MEDIA_ROOT": str(folder / "media"),
        "CELERY_BEAT_SCHEDULE_FILENAME": str(folder / "beat-schedule"),
        "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
        "METRICS_TOKEN": "smoke-metrics-token",
        "GUNICORN_CMD_ARGS": f"--bind unix:{folder / 'web.sock'}",
        "WEB_CONCURRENCY": "2",
        "SYNC_WORKER_CONCURRENCY": "2",
        "REPORTS_WORKER_CONCURRENCY": "1",
        "WORKER_CONCURRENCY": "1",
        "SYNC_TICK_MINUTES": "1",
        "SSL_CERT_FILE": str(ca),
        "LOG_FORMAT": "json",
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "PYTHONUNBUFFERED": "1",
    }


def test_health_reports_the_database_the_broker_and_a_worker_on_every_queue(stack):
    wait_until(stack.up, seconds=60, what="gunicorn answering")
    web = stack.browser()

    def healthy():
        response = web.get("/healthz?strict=1")
        return response.status_code == 200 and response.json()

    body = wait_until(healthy, seconds=120, what="every queue's heartbeat")
    assert (body["status"], body["database"], body["broker"], body["workers"]) == ("ok", "ok", "ok", "ok")
    assert set(body["heartbeat_age_seconds"]) == {"celery", "sync", "reports", "messages"}


def test_the_owner_signs_in(stack):
    wait_until(stack.up, seconds=60, what="gunicorn answering")
    web = stack.browser()
    token = web.csrf("/login/")
    signed_in = web.post("/login/", {"csrfmiddlewaretoken": token, "username": OWNER, "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.text[:2000]
    overview = web.get(signed_in.headers["Location"])
    assert overview.status_code == 200
    assert "Smoke Agency" in overview.text and "Bistro Verde" in overview.text


def test_static_files_are_served_compressed_with_hashed_names_cached_for_a_year(stack):
    wait_until(stack.up, seconds=60, what="gunicorn answering")
    web = stack.browser()
    page = web.get("/login/")
    stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page.text).group(1)
    served = web.get(stylesheet, headers={"Accept-Encoding": "gzip"})
    assert served.status_code == 200
    assert served.headers["Content-Type"].startswith("text/css")
    assert "max-age=315360000" in served.headers["Cache-Control"]
    assert "immutable" in served.headers["Cache-Control"]
    assert served.headers["Content-Encoding"] == "gzip"
    assert ".topbar" in served.text
    assert web.get("/static/css/app.css").headers["Cache-Control"] == "max-age=60, public"


def test_security_headers_and_https_only(stack):
    wait_until(stack.up, seconds=60, what="gunicorn answering")
    web = stack.browser()
    page = web.get("/login/")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert "Secure" in page.headers["Set-Cookie"] and "HttpOnly" in page.headers["Set-Cookie"]
    plain = web.get("/login/", https=False)
    assert plain.status_code == 301
    assert plain.headers["Location"] == f"https://{stack.host}/login/"


def test_a_sync_runs_through_the_worker_and_beat_with_ids_on_its_log_lines(stack):
    expected = len(Sandbox().ground_truth(BISTRO))

    def backfilled():
        return stack.rows("SELECT count(*) FROM {schema}.clients_feedback")[0][0] == expected

    wait_until(backfilled, seconds=120, what=f"the backfill of {expected} items by the sync worker", every=1)
    # Two days without a sync: beat's next tick (every SYNC_INTERVAL_MINUTES=1) must sync it.
    stack.rows("UPDATE {schema}.clients_location SET last_synced_at = now() - interval '2 days' RETURNING id")
    by_beat = "SELECT id FROM {schema}.clients_syncrun WHERE kind <> 'backfill' AND state = 'succeeded'"
    wait_until(lambda: stack.rows(by_beat), seconds=180, what="a sync queued by beat", every=2)
    runs = {run for (run,) in stack.rows("SELECT id FROM {schema}.clients_syncrun WHERE state = 'succeeded'")}
    synced = [line for line in stack.log_lines("sync") if line["message"].startswith("synced location")]
    assert len(synced) >= 2, "no 'synced location' lines in the sync worker's log"
    assert {(line["agency"], line["location"]) for line in synced} == {(stack.schema, stack.location_id)}
    assert {line["run"] for line in synced} == runs
    assert all(line["task"] == "clients.tasks.sync_location" for line in synced)


REPORT_BATCH = """
from datetime import date, timedelta
from django_tenants.utils import tenant_context
from agency.models import Agency
from clients.services import client_create_empty
from reports.services import report_request
end = date.today().replace(day=1) - timedelta(days=1)
with tenant_context(Agency.objects.get(slug="{slug}")):
    for number in range(200):
        client = client_create_empty(actor=None, name=f"Batch client {{number}}")
        report_request(client=client, start=end.replace(day=1), end=end)
"""
SYNC_NOW = """
from django_tenants.utils import tenant_context
from agency.models import Agency
from clients.models import Location
from clients.services import location_sync_now
with tenant_context(Agency.objects.get(slug="{slug}")):
    print(location_sync_now(location=Location.objects.get(pk={location})).pk)
"""


def test_a_batch_of_200_reports_does_not_delay_a_sync(stack):
    wait_until(stack.up, seconds=60, what="gunicorn answering")
    manage(stack.env, "shell", "--verbosity", "0", "-c", REPORT_BATCH.format(slug=stack.slug))
    asked = manage(
        stack.env,
        "shell",
        "--verbosity",
        "0",
        "-c",
        SYNC_NOW.format(slug=stack.slug, location=stack.location_id),
    )
    run = int(asked.split()[-1])

    def finished():
        return (
            stack.rows("SELECT state FROM {schema}.clients_syncrun WHERE id = %s", [run])[0][0] == "succeeded"
        )

    wait_until(finished, seconds=45, what="the sync asked for behind 200 reports", every=0.5)
    waiting = stack.rows("SELECT count(*) FROM {schema}.reports_report WHERE state = 'queued'")[0][0]
    assert waiting > 100, "the report batch was done before the sync: it proves nothing"
    metrics = stack.browser().get("/metrics", headers={"Authorization": "Bearer smoke-metrics-token"}).text
    assert samples(metrics)[("portal_queue_length", ("queue", "reports"))] > 50


def test_metrics_count_the_workers_and_web_processes_work(stack):
    wait_until(stack.up, seconds=60, what="gunicorn answering")
    web = stack.browser()
    assert web.get("/metrics").status_code == 401
    web.get("/login/")

    def scraped():
        text = web.get("/metrics", headers={"Authorization": "Bearer smoke-metrics-token"}).text
        found = samples(text)
        return (
            found
            if found.get(("portal_sync_runs_total", ("kind", "backfill"), ("outcome", "succeeded")))
            else None
        )

    metrics = wait_until(scraped, seconds=120, what="the worker's sync runs in /metrics")
    assert metrics[("portal_feedback_items_synced_total", ("change", "created"))] > 0
    assert metrics[("portal_http_request_duration_seconds_count", ("method", "GET"), ("view", "login"))] > 0
    assert ("portal_worker_heartbeat_age_seconds", ("queue", "sync")) in metrics
    assert ("portal_queue_length", ("queue", "sync")) in metrics
    assert ("portal_pulseback_signin_budget_used_ratio",) in metrics

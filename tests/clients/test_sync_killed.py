"""A sync whose process is killed mid-way loses nothing: the next run completes it exactly.

The first sync runs in a real separate process (``manage.py sync_feedback``)
that is killed with SIGKILL after it has written part of the backfill. Its
rows must be committed for that process to see them, so this test works in its
own throwaway agency, from a thread of its own (whose database connection is
outside the test's transaction), instead of in the shared test transaction.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django_tenants.utils import tenant_context

from agency.services import agency_create
from clients.models import Client, Feedback, Location, SyncKind, SyncRun, SyncState
from clients.sync import location_sync
from tests.clients.test_sync import assert_matches_ground_truth
from tests.conftest import SANDBOX_PASSWORD, committed

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def committed_agency(db):
    agency = committed(
        lambda: agency_create(
            slug="killtest", name="Kill Test", owner_email="o@kill.test", owner_password="Kill-test-pass-1"
        )
    )
    yield agency
    committed(lambda: agency.delete(force_drop=True))


def _database_url():
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{quote(db['HOST'], safe='')}/{db['NAME']}"


def test_killed_sync_is_completed_by_the_next_run(committed_agency, sandbox, sandbox_server, sandbox_account):
    email = sandbox_account(items=3000)

    def add_location():
        with tenant_context(committed_agency):
            return Location.objects.create(
                client=Client.objects.create(name="Kill Test Client"),
                name="Main",
                pulseback_email=email,
                pulseback_password=SANDBOX_PASSWORD,
                api_url=sandbox_server.api_url,
                auth_url=sandbox_server.auth_url,
                anon_key=sandbox_server.anon_key,
            )

    def stored_count():
        with tenant_context(committed_agency):
            return Feedback.objects.filter(location=location).count()

    location = committed(add_location)
    sandbox.set_faults(slow_ms=25)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "agency.settings.test", "DATABASE_URL": _database_url()}
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "sync_feedback", "--agency", "killtest"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not committed(stored_count):
            assert worker.poll() is None, "the sync finished before it could be killed"
            assert time.monotonic() < deadline, "the sync wrote nothing in 30 s"
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    finally:
        if worker.poll() is None:
            worker.kill()
    sandbox.clear_faults()
    partial = committed(stored_count)

    def next_run():
        with tenant_context(committed_agency):
            run = location_sync(location_id=location.pk, kind=SyncKind.BACKFILL)
            assert_matches_ground_truth(location, sandbox.ground_truth(email))
            killed = SyncRun.objects.exclude(pk=run.pk).get(location=location)
            return run.state, (killed.state, killed.error)

    state, killed = committed(next_run)

    assert 0 < partial < 3000
    assert state == SyncState.SUCCEEDED
    assert killed == (SyncState.FAILED, "the worker running this sync stopped")

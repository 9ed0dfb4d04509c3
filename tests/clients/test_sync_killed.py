"""A sync whose process is killed mid-way loses nothing: the next run resumes it exactly, and a
request from any path (portal, API, schedule) supersedes the dead run instead of waiting for it.

The first sync runs in a real separate process (``manage.py sync_feedback``)
that is killed with SIGKILL after it has written part of the backfill. Its
rows must be committed for that process to see them, so these tests work in a
throwaway agency of their own, from a thread of their own (whose database
connection is outside the test's transaction), instead of in the shared test
transaction.
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

from agency.api.services import api_token_create
from agency.team.models import User
from clients.models import Feedback, SyncKind, SyncRun, SyncState
from clients.sync import location_sync
from clients.sync_lock import STALE_RUN_ERROR
from clients.sync_passes import AHEAD_PAGES, BATCH_ITEMS
from clients.sync_walk import PAGE_SIZE
from clients.tasks import sync_due_agencies
from tests.clients.sync_helpers import (  # noqa: F401 - a fixture
    committed_agency_fixture,
    in_agency,
    sandbox_location,
)
from tests.clients.test_rollups import assert_rollups_equal_rows
from tests.clients.test_sync import assert_matches_ground_truth
from tests.conftest import Api, committed

ROOT = Path(__file__).resolve().parents[2]
ITEMS = 3 * BATCH_ITEMS  # killed after its first batch, well before its end
# Fetched but not yet committed, at any moment: the batch being written, the pages the fetcher
# holds ready, and the one in its hands (clients.sync_passes).
UNWRITTEN_AT_MOST = BATCH_ITEMS + (AHEAD_PAGES + 1) * PAGE_SIZE


def _database_url():
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{quote(db['HOST'], safe='')}/{db['NAME']}"


@pytest.fixture
def killed(committed_agency, sandbox, sandbox_server, sandbox_account):
    """A location whose backfill was killed (SIGKILL) after writing part of it; its run is left
    "running" with a dead lock owner. Gives (location, email, items stored, pages the killed run
    fetched)."""
    email = sandbox_account(items=ITEMS)
    location = in_agency(committed_agency, lambda: sandbox_location(sandbox_server, email))

    def stored_count():
        return in_agency(committed_agency, lambda: Feedback.objects.filter(location=location).count())

    sandbox.set_faults(slow_ms=25)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "agency.settings.test", "DATABASE_URL": _database_url()}
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "sync_feedback", "--agency", committed_agency.slug],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while stored_count() < 1000:
            assert worker.poll() is None, "the sync finished before it could be killed"
            assert time.monotonic() < deadline, "the sync wrote too little in 30 s"
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    finally:
        if worker.poll() is None:
            worker.kill()
    sandbox.clear_faults()
    fetched_pages = sandbox.get_stats(email)["api_list"]
    return location, email, stored_count(), fetched_pages


def test_a_killed_backfill_resumes_where_it_stopped_refetching_at_most_one_batch(
    committed_agency, sandbox, killed
):
    location, email, stored_at_kill, fetched_pages = killed
    fetched_by_killed = min(ITEMS, fetched_pages * 99 + 1)  # pages overlap by one item

    def next_run():
        with tenant_context(committed_agency):
            run = location_sync(location_id=location.pk, kind=SyncKind.BACKFILL)
            assert_matches_ground_truth(location, sandbox.ground_truth(email))
            dead = SyncRun.objects.exclude(pk=run.pk).get(location=location)
            return run, (dead.state, dead.error)

    run, dead = committed(next_run)

    assert 0 < stored_at_kill < ITEMS
    assert fetched_by_killed - stored_at_kill <= UNWRITTEN_AT_MOST  # what the kill could lose
    assert run.fetched <= ITEMS - stored_at_kill + run.pages  # resumed there: nothing stored is fetched again
    assert run.state == SyncState.SUCCEEDED
    assert dead == (SyncState.FAILED, STALE_RUN_ERROR)


def test_the_api_supersedes_a_killed_run_at_once(committed_agency, killed):
    location = killed[0]
    raw = in_agency(
        committed_agency,
        lambda: api_token_create(user=User.objects.get(), name="tests", scope="write")[1],
    )
    api = Api(committed_agency, raw)

    response = committed(lambda: api.post(f"/api/v1/clients/{location.client_id}/sync", {"kind": "backfill"}))

    assert response.status_code == 202
    (answered,) = response.json()["sync_runs"]
    dead = in_agency(
        committed_agency, lambda: SyncRun.objects.get(location_id=location.pk, error=STALE_RUN_ERROR)
    )
    assert (answered["state"], dead.state) == ("queued", SyncState.FAILED)
    assert answered["id"] != dead.pk


def test_the_schedule_supersedes_a_killed_run(committed_agency, killed):
    location = killed[0]

    def tick():
        sync_due_agencies.run([committed_agency.schema_name], kind=SyncKind.INCREMENTAL)
        return dict(SyncRun.objects.filter(location_id=location.pk).values_list("state", "error"))

    runs = in_agency(committed_agency, tick)

    assert runs[SyncState.FAILED] == STALE_RUN_ERROR
    assert SyncState.QUEUED in runs  # due again at once: its backfill is queued anew


def test_any_next_run_builds_the_rollups_a_killed_walk_left_behind(committed_agency, killed):
    location = killed[0]

    def incremental():
        run = location_sync(location_id=location.pk, kind=SyncKind.INCREMENTAL)
        assert_rollups_equal_rows(location)
        return run

    run = in_agency(committed_agency, incremental)

    assert run.state == SyncState.SUCCEEDED  # its last 3 days match PulseBack's

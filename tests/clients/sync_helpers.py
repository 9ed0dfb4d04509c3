"""Helpers of the sync tests: a throwaway agency whose rows are committed (for syncs run by other
threads or processes), syncs run side by side, and PulseBack's ground truth recorded request by
request, so that a run's recorded outcome can be checked against what PulseBack held meanwhile."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from agency.services import agency_create
from clients.feedback_items import MalformedItem, item_check
from clients.models import Client, Feedback, Location, SyncKind, SyncRun, SyncState
from clients.pulseback.sandbox import service
from clients.sync import location_sync
from tests.conftest import SANDBOX_PASSWORD, committed


@pytest.fixture(name="committed_agency")
def committed_agency_fixture(db):
    """An agency of its own whose rows are committed (deleted with its schema afterwards)."""
    slug = f"sync{uuid.uuid4().hex[:8]}"
    agency = committed(
        lambda: agency_create(
            slug=slug, name="Sync Test", owner_email=f"o@{slug}.test", owner_password="Sync-test-pass-1"
        )
    )
    yield agency
    committed(lambda: agency.delete(force_drop=True))


def in_agency(agency, fn):
    """``fn()`` in the agency's schema, from a thread of its own (its rows committed)."""

    def run():
        with tenant_context(agency):
            return fn()

    return committed(run)


def side_by_side(agency, fns):
    """Each of ``fns`` in its own thread and connection, in the agency's schema, at the same time
    (as workers would); their results in order."""

    def run(fn):
        try:
            with tenant_context(agency):
                return fn()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(fns)) as pool:
        return [future.result() for future in [pool.submit(run, fn) for fn in fns]]


def sandbox_location(server, email, *, name="Main"):
    """A location connected to ``server`` (in the current schema), with a client of its own."""
    return Location.objects.create(
        client=Client.objects.create(name=f"Client of {name}"),
        name=name,
        pulseback_email=email,
        pulseback_password=SANDBOX_PASSWORD,
        api_url=server.api_url,
        auth_url=server.auth_url,
        anon_key=server.anon_key,
    )


def live_state(location):
    """What the portal holds for the location: live items by PulseBack id (their raw JSON)."""
    rows = Feedback.objects.filter(location=location, removed_at__isnull=True).values_list(
        "pulseback_id", "raw"
    )
    return dict(rows)


def storable_truth(sandbox, email):
    """PulseBack's items that the contract check lets the portal store, newest first (the sandbox
    calls some of those malformed, such as an id that is not a UUID)."""
    items = []
    for item in sandbox.ground_truth(email, include_malformed=True):
        try:
            item_check(item)
        except MalformedItem:
            continue
        items.append(item)
    return items


def truth_state(items):
    return {item["id"]: item for item in items}


class TruthLog:
    """PulseBack's ground truth of one account before and after each feedback page it serves."""

    def __init__(self, sandbox, email):
        self.sandbox, self.email = sandbox, email
        self.states = [truth_state(storable_truth(sandbox, email))]

    def record(self, sb, acct):
        if acct.email == self.email:
            self.states.append(truth_state(storable_truth(sb, acct.email)))

    def mark(self):
        return len(self.states)

    def since(self, mark):
        """The states from just before the request at ``mark`` to now."""
        return self.states[mark - 1 :]


@pytest.fixture(name="truth_log")
def truth_log_fixture(monkeypatch):
    """``truth_log(sandbox, email)``: a TruthLog of the account, recorded as the sandbox answers."""
    logs = []
    original = service._list

    def recording(sb, acct, query):
        answer = original(sb, acct, query)
        for log in logs:
            log.record(sb, acct)
        return answer

    monkeypatch.setattr(service, "_list", recording)

    def make(sandbox, email):
        logs.append(TruthLog(sandbox, email))
        return logs[-1]

    return make


CHECK_REQUESTS = 4  # the newest page and a count per status (clients.sync_passes.Passes.verify)
WINDOW_EDGE = timedelta(minutes=1)  # items this close to an incremental's window edge are left out


def in_window(state, days):
    """The items of ``state`` well inside the last ``days`` days (an incremental run's scope)."""
    edge = datetime.now(UTC) - timedelta(days=days) + WINDOW_EDGE
    return {
        key: item
        for key, item in state.items()
        if datetime.fromisoformat(item["created_at"].replace("Z", "+00:00")) > edge
    }


def assert_outcome_true(run, location, log, mark, *, days=None):
    """A run's recorded outcome is true of what PulseBack held while it ran (``mark``: the log's
    mark when it started; ``days``: an incremental run's window, its scope). Succeeded: the stored
    data equals PulseBack's at some moment of its final check. Partial: it differs from PulseBack's
    as the check found it, and says by how many."""
    stored = live_state(location)
    final_check = log.since(mark)[-(CHECK_REQUESTS + 1) :]
    if days:
        stored, final_check = in_window(stored, days), [in_window(state, days) for state in final_check]
    if run.state == SyncState.SUCCEEDED:
        assert stored in final_check, (
            f"run {run.pk} says succeeded, but the data matched PulseBack at no time"
        )
    else:
        assert run.state == SyncState.PARTIAL, (run.state, run.error)
        assert run.unseen >= 1
        assert any(stored != state for state in final_check), (
            f"run {run.pk} says partial, but nothing differed"
        )


def next_sync(location):
    """The run the product would run next: the catch-up a partial run queued, else an incremental."""
    queued = SyncRun.objects.filter(location=location, state=SyncState.QUEUED).first()
    if queued is not None:
        return location_sync(location_id=location.pk, kind=queued.kind, run_id=queued.pk)
    return location_sync(location_id=location.pk, kind=SyncKind.INCREMENTAL)

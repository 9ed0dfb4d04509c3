"""The sync against a PulseBack that behaves unlike the friendly default, over real HTTP: short
tokens, Supabase's per-address auth limit, 5xx, malformed answers and items, 429 bursts, a request
quota, waits beyond the budget, and data that drifts while the sync pages. Every item stored
exactly, every recorded outcome true."""

import dataclasses
import time
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from clients.models import ConnectionState, Location, SyncKind, SyncRun, SyncState
from clients.pulseback.sandbox import Sandbox, SandboxServer
from clients.sync import location_sync
from clients.tasks import sync_location
from tests.clients.sync_helpers import (  # noqa: F401 - fixtures
    assert_outcome_true,
    committed_agency_fixture,
    in_agency,
    next_sync,
    sandbox_location,
    side_by_side,
    truth_log_fixture,
)
from tests.clients.test_sync import assert_matches_ground_truth, stored
from tests.conftest import SANDBOX_PASSWORD

TOKEN_LIFETIME = 10  # seconds: refreshed after 9 (a 1 s margin), several times in a test's time


@pytest.fixture(scope="module")
def strict_server():
    """A sandbox with Supabase's per-address auth limit on (a bucket of 30 refilling 0.5 a second,
    shared by every location: they all sync from this one address) and short-lived tokens."""
    with SandboxServer(Sandbox(seed=11, accounts=[], expires_in=TOKEN_LIFETIME)) as server:
        yield server


@pytest.fixture
def sandbox_config(sandbox):
    before = dataclasses.asdict(sandbox.config)
    yield sandbox.configure
    sandbox.configure(**before)


def test_three_locations_on_short_tokens_under_faults_store_every_item_exactly(
    committed_agency, strict_server
):
    sb = strict_server.sandbox
    emails = [f"loc{i}-{committed_agency.slug}@sandbox.pulseback.test" for i in range(3)]
    for email in emails:
        sb.add_account(email, SANDBOX_PASSWORD, items=700)
        sb.inject_malformed(email)
    locations = in_agency(
        committed_agency, lambda: [sandbox_location(strict_server, email, name=email) for email in emails]
    )
    sb.reset_stats()
    sb.set_faults(
        slow_ms=700,  # each sync outlives its first token
        api_5xx_probability=0.05,
        api_429_every=9, api_429_burst=2, api_429_retry_after=0.3,
        malformed_next=2,
        auth_429_next=1,
    )  # fmt: skip

    started = time.monotonic()
    runs = side_by_side(
        committed_agency,
        [
            lambda pk=location.pk: location_sync(location_id=pk, kind=SyncKind.BACKFILL)
            for location in locations
        ],
    )
    elapsed = time.monotonic() - started
    sb.clear_faults()

    totals = sb.get_stats()
    assert (totals["api_5xx_fault"] > 0, totals["api_429_fault"] > 0, totals["malformed_fault"]) == (
        True,
        True,
        2,
    )
    assert totals["auth_429_fault"] == 1 and totals.get("auth_429_bucket", 0) == 0  # none provoked
    for location, run, email in zip(locations, runs, emails, strict=True):
        assert run.state == SyncState.SUCCEEDED, run.error
        in_agency(
            committed_agency,
            lambda loc=location, e=email: assert_matches_ground_truth(loc, sb.ground_truth(e)),
        )
        stats = sb.get_stats(email)
        assert (run.sign_ins, run.refreshes) == (stats["sign_ins"], stats["refreshes"])  # recorded truly
        assert stats["sign_ins"] == 1
        assert 1 <= stats["refreshes"] <= elapsed / TOKEN_LIFETIME + 1  # at most one per token lifetime
        assert stats["refreshes_before_half_life"] == 0
        assert stats["families_revoked_on_reuse"] == 0
        assert run.skipped == 3  # the malformed items, each counted once
        location = in_agency(committed_agency, lambda pk=location.pk: Location.objects.get(pk=pk))
        assert (location.auth_day_sign_ins, location.auth_day_refreshes) == (1, stats["refreshes"])
        assert location.token_lifetime == TOKEN_LIFETIME


def test_with_steady_drift_every_outcome_is_true_and_catch_ups_converge(
    sandbox, sandbox_account, make_location, truth_log
):
    email = sandbox_account(items=600)
    sandbox.inject_malformed(email)
    location = make_location(email)
    log = truth_log(sandbox, email)
    sandbox.set_faults(
        drift_per_request=2, drift_remove_per_request=1, status_changes_per_request=2,
        drift_every=2, drift_target="served",
    )  # fmt: skip

    mark = log.mark()
    run = location_sync(location_id=location.pk, kind=SyncKind.BACKFILL)
    assert_outcome_true(run, location, log, mark)
    for _ in range(3):  # the drift goes on: catch-ups (or scheduled pulls), each honest
        mark = log.mark()
        run = next_sync(location)
        assert_outcome_true(run, location, log, mark)
    assert sandbox.get_stats(email)["drift_removed"] > 0
    sandbox.clear_faults()

    after = []
    while run.state != SyncState.SUCCEEDED or not after:
        assert len(after) < 3, f"not converged within three runs after the drift stopped: {after}"
        mark = log.mark()
        run = next_sync(location)
        assert_outcome_true(run, location, log, mark)
        after.append(run.state)
    assert_matches_ground_truth(location, sandbox.ground_truth(email))
    assert set(stored(location, removed=True)) <= set(sandbox.removed_ids(email))  # none wrongly removed


def test_six_429s_in_a_row_with_retry_after_are_waited_out(sandbox, sandbox_account, make_location):
    email = sandbox_account(items=350)
    location = make_location(email)
    sandbox.set_faults(api_429_next=6, api_429_retry_after=0.2)

    run = location_sync(location_id=location.pk, kind=SyncKind.BACKFILL)

    assert run.state == SyncState.SUCCEEDED
    assert run.waited_seconds == pytest.approx(6 * 0.2) and run.retries == 6
    assert_matches_ground_truth(location, sandbox.ground_truth(email))


def test_a_quota_saying_remaining_0_is_waited_out_before_hitting_it(
    sandbox, sandbox_account, make_location, sandbox_config
):
    email = sandbox_account(items=700)
    location = make_location(email)
    sandbox_config(api_rate_limit=5, api_rate_window=1.5, reset_format="timestamp")

    run = location_sync(location_id=location.pk, kind=SyncKind.BACKFILL)

    assert run.state == SyncState.SUCCEEDED and run.waited_seconds > 0
    assert sandbox.get_stats(email)["api_429_limit"] == 0  # it waited for the reset instead
    assert_matches_ground_truth(location, sandbox.ground_truth(email))


def test_a_wait_beyond_the_budget_defers_the_run_which_completes_after_the_reset(
    sandbox, sandbox_account, make_location, settings, monkeypatch, django_capture_on_commit_callbacks
):
    email = sandbox_account(items=1500)
    location = make_location(email)
    settings.PULSEBACK_WAIT_BUDGET_SECONDS = 1
    sandbox.set_faults(api_429_every=5, api_429_burst=1, api_429_retry_after=3)  # the 6th request: wait 3 s
    resumptions = []
    monkeypatch.setattr(sync_location, "apply_async", lambda args, eta: resumptions.append((args, eta)))

    with django_capture_on_commit_callbacks(execute=True):
        run = location_sync(location_id=location.pk, kind=SyncKind.BACKFILL)
    sandbox.clear_faults()

    location.refresh_from_db()
    assert (run.state, location.state, location.sync_outcome) == (
        SyncState.DEFERRED, ConnectionState.RATE_LIMITED, SyncState.DEFERRED,
    )  # fmt: skip
    assert run.error.startswith("waiting for PulseBack's rate limit")
    assert (
        resumptions
        == [((location.pk, SyncKind.BACKFILL, run.pk), run.retry_at)]
        == [((location.pk, SyncKind.BACKFILL, run.pk), location.sync_retry_at)]
    )
    # The five pages it had (one item of overlap each) were written before it stopped.
    assert (len(stored(location)), run.fetched) == (5 * 100 - 4, 5 * 100)
    assert location.sync_cursor["offset"] == 5 * 99

    time.sleep(max(0.0, (run.retry_at - datetime.now(UTC)).total_seconds()))
    resumed = location_sync(location_id=location.pk, kind=SyncKind.BACKFILL, run_id=run.pk)

    assert (resumed.pk, resumed.state) == (run.pk, SyncState.SUCCEEDED)
    assert resumed.fetched <= 1500 + resumed.pages  # nothing fetched twice but the pages' overlap
    assert_matches_ground_truth(location, sandbox.ground_truth(email))
    location.refresh_from_db()
    assert (location.state, location.sync_outcome, location.sync_retry_at) == ("connected", "succeeded", None)


def test_sync_feedback_exits_non_zero_on_a_partial_run_and_says_why(
    sandbox, sandbox_account, make_location, capsys
):
    location = make_location(sandbox_account(items=40))
    sandbox.set_faults(drift_per_request=1)
    connection.set_schema_to_public()

    with pytest.raises(CommandError, match="1 location"):
        call_command("sync_feedback", "--agency=alpha", f"--client={location.client_id}")

    err = capsys.readouterr().err
    assert "partial:" in err and "not yet in line with PulseBack" in err and "catch-up sync is queued" in err


def test_sync_feedback_exits_non_zero_on_a_deferred_run_and_says_until_when(
    agency, sandbox, sandbox_account, make_location, capsys, settings
):
    location = make_location(sandbox_account(items=40))
    settings.PULSEBACK_WAIT_BUDGET_SECONDS = 0
    sandbox.set_faults(api_429_next=1, api_429_retry_after=120)
    connection.set_schema_to_public()

    with pytest.raises(CommandError, match="1 location"):
        call_command("sync_feedback", "--agency=alpha", f"--client={location.client_id}")

    assert "deferred, waiting for PulseBack's rate limit" in capsys.readouterr().err
    connection.set_tenant(agency)
    assert SyncRun.objects.get(location_id=location.pk).state == SyncState.DEFERRED

"""The Celery tasks (called in-process here: their bodies, not the broker)."""

import pytest
from django.db import connection
from django.utils import timezone

from clients.models import ConnectionState, Location, SyncKind, SyncRun, SyncState
from clients.pulseback import Unavailable
from clients.sync_lock import STALE_RUN_ERROR, sync_lock_acquire, sync_lock_release
from clients.tasks import sync_due_agencies, sync_location


def test_invalid_credentials_are_recorded_and_not_retried(sandbox_account, make_location):
    location = make_location(sandbox_account(items=3), password="wrong-password")

    sync_location.run(location.pk, SyncKind.BACKFILL)  # returns: nothing to retry

    location.refresh_from_db()
    assert location.state == ConnectionState.INVALID_CREDENTIALS


def test_unreachable_pulseback_is_raised_for_a_retry(sandbox, sandbox_account, make_location):
    location = make_location(sandbox_account(items=3))
    sandbox.set_faults(api_5xx_next=50)

    with pytest.raises(Unavailable):  # in a worker, Task.retry re-queues it with backoff
        sync_location.run(location.pk, SyncKind.BACKFILL)

    location.refresh_from_db()
    assert location.state == ConnectionState.UNREACHABLE
    assert "503" in location.last_error


def test_a_paused_location_is_not_synced(sandbox_account, make_location):
    location = make_location(sandbox_account(items=3))
    Location.objects.filter(pk=location.pk).update(state=ConnectionState.PAUSED)
    run = SyncRun.objects.create(location=location, kind=SyncKind.INCREMENTAL)

    sync_location.run(location.pk, SyncKind.INCREMENTAL, run.pk)

    run.refresh_from_db()
    assert (run.state, run.error) == (SyncState.FAILED, "sync is paused")
    assert location.feedback.count() == 0


def test_a_removed_location_is_skipped_quietly(agency):
    sync_location.run(999_999, SyncKind.INCREMENTAL)


def test_an_agencys_tick_queues_its_due_locations_stalest_first(
    agency, make_location, django_capture_on_commit_callbacks
):
    connection.set_tenant(agency)
    alpha = [make_location(f"a{i}@sandbox.pulseback.test") for i in range(3)]
    Location.objects.filter(pk=alpha[0].pk).update(
        backfilled_at=timezone.now()
    )  # since the nightly reconcile
    paused = make_location("paused@sandbox.pulseback.test")
    Location.objects.filter(pk=paused.pk).update(state=ConnectionState.PAUSED)
    invalid = make_location("invalid@sandbox.pulseback.test")
    Location.objects.filter(pk=invalid.pk).update(state=ConnectionState.INVALID_CREDENTIALS)
    busy = make_location("busy@sandbox.pulseback.test")
    owner = sync_lock_acquire(location_id=busy.pk)  # a live worker holds it
    SyncRun.objects.create(location=busy, kind=SyncKind.INCREMENTAL, state=SyncState.RUNNING)
    dead = make_location("dead@sandbox.pulseback.test")
    stale = SyncRun.objects.create(location=dead, kind=SyncKind.INCREMENTAL, state=SyncState.RUNNING)

    with django_capture_on_commit_callbacks() as sends:
        queued = sync_due_agencies.run([agency.schema_name], kind=SyncKind.INCREMENTAL)

    assert len(sends) == 1  # one batch, published once committed
    assert queued == len(sends[0].args[0]) == 4
    runs = SyncRun.objects.filter(state=SyncState.QUEUED)
    assert {(r.location_id, r.kind) for r in runs} == {
        (alpha[0].pk, SyncKind.INCREMENTAL),  # backfilled: an incremental pull
        (alpha[1].pk, SyncKind.BACKFILL),  # never backfilled: a backfill first
        (alpha[2].pk, SyncKind.BACKFILL),
        (dead.pk, SyncKind.BACKFILL),  # its worker died: the run is failed, the location due again
    }
    stale.refresh_from_db()
    assert stale.state == SyncState.FAILED and stale.error == STALE_RUN_ERROR
    sync_lock_release(location_id=busy.pk, owner=owner)


def test_an_agencys_tick_fails_every_dead_run_and_queues_no_location_twice(
    agency, make_location, django_capture_on_commit_callbacks
):
    connection.set_tenant(agency)
    paused = make_location("paused@sandbox.pulseback.test")
    Location.objects.filter(pk=paused.pk).update(state=ConnectionState.PAUSED)
    paused_dead = SyncRun.objects.create(location=paused, kind=SyncKind.INCREMENTAL, state=SyncState.RUNNING)
    requeued = make_location("requeued@sandbox.pulseback.test")  # its dead run already has a successor
    requeued_dead = SyncRun.objects.create(location=requeued, kind=SyncKind.BACKFILL, state=SyncState.RUNNING)
    successor = SyncRun.objects.create(location=requeued, kind=SyncKind.BACKFILL, state=SyncState.QUEUED)

    with django_capture_on_commit_callbacks(execute=False):
        queued = sync_due_agencies.run([agency.schema_name], kind=SyncKind.INCREMENTAL)

    assert queued == 0  # a paused location is not synced; the other's successor is still queued
    for dead in (paused_dead, requeued_dead):
        dead.refresh_from_db()
        assert (dead.state, dead.error) == (SyncState.FAILED, STALE_RUN_ERROR)
    assert list(SyncRun.objects.filter(state=SyncState.QUEUED)) == [successor]


def test_a_run_deferred_by_a_long_rate_limit_returns_and_later_resumes_as_the_same_run(
    sandbox, sandbox_account, make_location, settings
):
    email = sandbox_account(items=120)
    location = make_location(email)
    settings.PULSEBACK_WAIT_BUDGET_SECONDS = 0
    sandbox.set_faults(api_429_next=1, api_429_retry_after=30)

    sync_location.run(location.pk, SyncKind.BACKFILL)  # returns: nothing to retry, it is rescheduled

    run = SyncRun.objects.get(location=location)
    assert run.state == SyncState.DEFERRED
    sandbox.clear_faults()
    sync_location.run(location.pk, SyncKind.BACKFILL, run.pk)

    run.refresh_from_db()
    assert (run.state, run.created) == (SyncState.SUCCEEDED, 120)
    assert SyncRun.objects.filter(location=location).count() == 1


def test_a_paused_location_fails_its_deferred_run(sandbox_account, make_location):
    location = make_location(sandbox_account(items=3))
    Location.objects.filter(pk=location.pk).update(state=ConnectionState.PAUSED)
    run = SyncRun.objects.create(location=location, kind=SyncKind.BACKFILL, state=SyncState.DEFERRED)

    sync_location.run(location.pk, SyncKind.BACKFILL, run.pk)

    run.refresh_from_db()
    assert (run.state, run.error) == (SyncState.FAILED, "sync is paused")

"""The sync engine: brings one location's feedback in line with PulseBack, and says how it went.

Kinds: a *backfill* (the whole list) when a location is connected; an
*incremental* pull of the last few days on a schedule; a nightly *reconcile*
(the whole list) that catches status changes on old items and marks removals;
a *catch-up* (follow-up) after a partial run. The passes are in
clients.sync_passes. Every step is an idempotent upsert, so a run that dies
half-way is completed by the next one.

A run's recorded outcome is true:

- succeeded: its last check found the stored data matching PulseBack's total and
  statuses;
- partial: it stored everything it saw, but PulseBack counts items it could not see
  (``unseen``, at least that many) or no longer has items it stored. A catch-up run is
  queued at once, then with backoff while runs stay partial;
- deferred: PulseBack named a wait beyond the run's wait budget (or the sign-in budget
  is spent): its progress is kept and it resumes at ``retry_at``;
- failed: an error (``error`` says which); transient ones are retried by the task.
"""

import logging
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from agency import events
from clients.models import ConnectionState, Location, SyncKind, SyncRun, SyncState
from clients.pulseback import InvalidCredentials, PulseBackError, RateLimited, Unauthorized
from clients.services import sync_queue
from clients.sessions import pulseback_client_for
from clients.sync_lock import STALE_RUN_ERROR, LockKeeper, SyncPaused, sync_lock_acquire, sync_lock_release
from clients.sync_passes import Passes

logger = logging.getLogger(__name__)

DEFERRED_REASON = "waiting for PulseBack's rate limit"
FOLLOW_UP_BACKOFF_SECONDS = 30  # the second catch-up in a row waits this long, then twice as long...


def _state_change(location, new):
    if location.state != new:
        events.location_state_changed.send(sender=Location, location=location, old=location.state, new=new)


@transaction.atomic
def _fail(run, location, state, message):
    """The run and its location's state change together: a page never sees one without the other."""
    now = timezone.now()
    run.state, run.finished_at, run.error = SyncState.FAILED, now, message
    run.save()
    Location.objects.filter(pk=location.pk).update(
        state=state, last_error=message, last_error_at=now, sync_outcome=SyncState.FAILED, sync_retry_at=None
    )
    _state_change(location, state)
    events.sync_failed.send(sender=SyncRun, run=run, location=location, message=message)


@transaction.atomic
def _defer(run, location, exc):
    """Rate limited beyond the wait budget: the run waits (its progress is kept) and resumes at the
    time PulseBack named."""
    from clients.tasks import sync_location

    retry_at = exc.retry_at or time.time() + (exc.retry_after or 60)
    run.state, run.retry_at = SyncState.DEFERRED, datetime.fromtimestamp(retry_at, tz=UTC)
    run.error = f"{DEFERRED_REASON} ({exc})"
    run.save()
    Location.objects.filter(pk=location.pk).update(
        state=ConnectionState.RATE_LIMITED, last_error="", sync_outcome=SyncState.DEFERRED,
        sync_retry_at=run.retry_at,
    )  # fmt: skip
    _state_change(location, ConnectionState.RATE_LIMITED)
    args = (location.pk, run.kind, run.pk)
    transaction.on_commit(lambda: sync_location.apply_async(args, eta=run.retry_at))
    logger.info("sync of location %s deferred until %s: %s", location.pk, run.retry_at, exc)


def _follow_up_delay(location):
    """No wait for the first catch-up after a partial run; then 30 s, 60 s, ... up to the interval."""
    states = SyncRun.objects.filter(location=location, finished_at__isnull=False).order_by(
        "-finished_at", "-pk"
    )[:12]
    streak = 0
    for state in states.values_list("state", flat=True):
        if state != SyncState.PARTIAL:
            break
        streak += 1
    if streak <= 1:
        return 0
    return min(settings.SYNC_INTERVAL_MINUTES * 60, FOLLOW_UP_BACKOFF_SECONDS * 2 ** (streak - 2))


@transaction.atomic
def _finish(run, location, verdict, passes):
    now = timezone.now()
    partial = not verdict.consistent
    run.state = SyncState.PARTIAL if partial else SyncState.SUCCEEDED
    run.unseen = max(1, verdict.unseen, verdict.extra) if partial else 0
    run.finished_at, run.error = now, ""
    run.save()
    updates = {
        "state": ConnectionState.CONNECTED, "last_synced_at": now, "last_error": "",
        "sync_outcome": run.state, "sync_unseen": run.unseen, "sync_retry_at": None,
    }  # fmt: skip
    if location.connected_at is None:
        updates["connected_at"] = now
    if passes.walked:
        updates["backfilled_at"] = now
    if partial:
        delay = _follow_up_delay(location)
        sync_queue(location=location, kind=SyncKind.FOLLOW_UP, countdown=delay)
        run.retry_at = updates["sync_retry_at"] = now + timedelta(seconds=delay)
        run.save(update_fields=["retry_at"])
    Location.objects.filter(pk=location.pk).update(**updates)
    _state_change(location, ConnectionState.CONNECTED)
    events.sync_finished.send(sender=SyncRun, run=run, location=location)


def _take_up(location, kind, run_id):
    """The run to execute: the queued (or deferred) one asked for, else a new one. A retry (or a
    redelivered message) records a run of its own, so a failed attempt stays failed in the history."""
    run = None
    if run_id:
        run = SyncRun.objects.filter(pk=run_id, state__in=[SyncState.QUEUED, SyncState.DEFERRED]).first()
    if run is None:
        return SyncRun.objects.create(location=location, kind=kind, started_at=timezone.now())
    if run.started_at is None:
        run.started_at = timezone.now()
    return run


def location_sync(*, location_id, kind, run_id=None, on_progress=None):
    """Run one sync of a location in the current agency schema; return its SyncRun.

    Raises SyncLocked if another worker holds the location, SyncPaused if paused, and re-raises
    transient PulseBack errors (after recording them) so that a task can retry later. Invalid
    credentials are recorded and not raised: retrying cannot help until someone enters a new
    password. A deferred run is recorded and queued to resume; it is returned, not raised.
    """
    location = Location.objects.select_related("client").get(pk=location_id)
    if location.is_paused:
        raise SyncPaused(f"location {location_id} is paused")
    run = _take_up(location, kind, run_id)
    owner = sync_lock_acquire(location_id=location_id)
    SyncRun.objects.filter(location=location, state=SyncState.RUNNING).exclude(pk=run.pk).update(
        state=SyncState.FAILED, finished_at=timezone.now(), error=STALE_RUN_ERROR
    )
    run.state, run.retry_at, run.error = SyncState.RUNNING, None, ""
    run.save()
    keeper = LockKeeper(location_id=location_id, owner=owner)
    budget = settings.PULSEBACK_WAIT_BUDGET_SECONDS
    client = pulseback_client_for(location, wait_budget=budget, sleep=keeper.sleep)
    passes = Passes(run=run, location=location, client=client, keeper=keeper, wait_budget=budget,
                    on_progress=on_progress)  # fmt: skip
    try:
        verdict = passes.execute(run.kind)
    except InvalidCredentials as exc:
        _fail(run, location, ConnectionState.INVALID_CREDENTIALS, f"PulseBack refused the login: {exc}")
    except Unauthorized as exc:
        Location.objects.filter(pk=location.pk).update(access_token=None, refresh_token=None)
        _fail(run, location, ConnectionState.INVALID_CREDENTIALS, str(exc))
    except RateLimited as exc:
        if not exc.deferred:
            _fail(run, location, ConnectionState.RATE_LIMITED, str(exc))
            raise
        _defer(run, location, exc)
    except PulseBackError as exc:
        _fail(run, location, ConnectionState.UNREACHABLE, str(exc))
        raise
    else:
        _finish(run, location, verdict, passes)
        logger.info(
            "synced location %s in %s (%s, %s): %s fetched, %s new, %s updated, %s removed, %s skipped, "
            "%s unseen", location.pk, connection.schema_name, run.kind, run.state, run.fetched, run.created,
            run.updated, run.removed, run.skipped, run.unseen,
        )  # fmt: skip
    finally:
        client.close()
        sync_lock_release(location_id=location_id, owner=owner)
    return run

"""Celery tasks: thin wrappers that load by id and call the sync engine."""

import logging

from celery import shared_task
from django.db import connection
from django.utils import timezone

from agency.fanout import agencies_batched, agencies_run
from agency.logs import log_context
from clients.auth_outlook import auth_floor_refresh
from clients.models import Location, SyncKind, SyncRun, SyncState
from clients.pulseback import PulseBackError, RateLimited
from clients.scheduling import sync_runs_schedule
from clients.sync import location_sync
from clients.sync_lock import SyncLocked, SyncPaused

logger = logging.getLogger(__name__)

MAX_RETRIES = 5
# An agency's tick takes a few milliseconds: a task per agency cost the workers more than the ticks
# (its message, delivery and the agency's lookup). Batches this size keep 2 workers evenly busy
# to the end of a 1,000-agency tick (40 tasks).
AGENCIES_PER_TICK_TASK = 25


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(PulseBackError,),
    retry_backoff=60,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
)
def sync_location(self, location_id, kind, run_id=None):
    """Sync one location in the schema of the agency that queued it.

    Acknowledged only when done (acks_late): a worker killed mid-sync leaves the
    message for another worker, and the idempotent sync completes the work (a full
    walk resumes where it stopped). PulseBack's transient errors are retried by
    Celery with exponential backoff; a rate limit that says when it resets is
    retried then. A deferred run (a wait beyond the run's budget) and a partial
    run's catch-up are queued by the sync itself: the task just returns.
    """
    try:
        with log_context(location=location_id, run=run_id):  # on every log line of the sync
            location_sync(location_id=location_id, kind=kind, run_id=run_id)
    except Location.DoesNotExist:
        logger.info("location %s was removed before its sync ran", location_id)
    except SyncPaused:
        SyncRun.objects.filter(pk=run_id, state__in=[SyncState.QUEUED, SyncState.DEFERRED]).update(
            state=SyncState.FAILED, finished_at=timezone.now(), error="sync is paused"
        )
    except SyncLocked as exc:
        raise self.retry(exc=exc, countdown=30) from None
    except RateLimited as exc:
        if not exc.retry_after:
            raise
        raise self.retry(exc=exc, countdown=exc.retry_after) from None


@shared_task
def sync_due_locations(kind=SyncKind.INCREMENTAL):
    """Beat, every SYNC_TICK_MINUTES: a task per AGENCIES_PER_TICK_TASK agencies queues their due
    syncs, once the sign-in calendar knows what keeping every location's promise costs
    (clients.auth_outlook)."""
    auth_floor_refresh()
    return agencies_batched(sync_due_agencies, size=AGENCIES_PER_TICK_TASK, kind=kind)


@shared_task(acks_late=True)
def sync_due_agencies(schemas, kind=SyncKind.INCREMENTAL):
    """Queue the syncs due in each agency of ``schemas``, nearest their promised staleness first and
    within the sign-in budget (clients.scheduling); runs whose worker died are failed first, so
    their locations are due again. One agency's error does not stop the others' (the task fails at
    the end). Delivered again after a crash, it queues nothing twice: a location with a queued run
    is not due. Returns how many syncs were queued."""

    def tick():
        planned = sync_runs_schedule(kind=kind)
        logger.info("queued %s %s syncs in %s", len(planned), kind, connection.schema_name)
        return len(planned)

    return sum(agencies_run(schemas, tick).values())

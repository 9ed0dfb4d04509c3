"""Celery tasks: thin wrappers that load by id and call the sync engine."""

import logging

from celery import shared_task
from django.db import connection
from django.utils import timezone

from agency.fanout import agencies_each
from clients.models import Location, SyncKind, SyncRun, SyncState
from clients.pulseback import PulseBackError, RateLimited
from clients.scheduling import locations_due
from clients.sync import location_sync
from clients.sync_lock import SyncLocked, SyncPaused, sync_runs_fail_stale

logger = logging.getLogger(__name__)

MAX_RETRIES = 5


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
    message for another worker, and the idempotent sync completes the work.
    PulseBack's transient errors are retried by Celery with exponential backoff;
    a rate limit that says when it resets is retried then.
    """
    try:
        location_sync(location_id=location_id, kind=kind, run_id=run_id)
    except Location.DoesNotExist:
        logger.info("location %s was removed before its sync ran", location_id)
    except SyncPaused:
        SyncRun.objects.filter(pk=run_id, state=SyncState.QUEUED).update(
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
    """Beat: one task per agency queues that agency's due syncs."""
    return agencies_each(sync_due_agency, kind=kind)


@shared_task(acks_late=True)
def sync_due_agency(kind=SyncKind.INCREMENTAL):
    """Queue a sync of every due location of the agency whose schema the task runs in, the
    stalest first. Runs whose worker died are failed first, so their locations are due again."""
    from clients.services import sync_queue

    sync_runs_fail_stale()
    queued = 0
    for location_id, backfilled_at in locations_due(kind=kind):
        sync_queue(location=Location(pk=location_id), kind=kind if backfilled_at else SyncKind.BACKFILL)
        queued += 1
    logger.info("queued %s %s syncs in %s", queued, kind, connection.schema_name)
    return queued

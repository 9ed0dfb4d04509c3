"""Celery tasks: thin wrappers that load by id and call the sync engine."""

import itertools
import logging

from celery import shared_task
from django.db.models import Q
from django.utils import timezone
from django_tenants.utils import get_tenant_model, tenant_context

from clients.models import ConnectionState, Location, SyncKind, SyncRun, SyncState
from clients.pulseback import PulseBackError, RateLimited
from clients.sync import SyncLocked, SyncPaused, location_sync

logger = logging.getLogger(__name__)

MAX_RETRIES = 5


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def sync_location(self, location_id, kind, run_id=None):
    """Sync one location in the schema of the agency that queued it.

    Acknowledged only when done (acks_late): a worker killed mid-sync leaves the
    message for another worker, and the idempotent sync completes the work.
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
        countdown = max(exc.retry_after or 0, 60 * 2**self.request.retries)
        raise self.retry(exc=exc, countdown=countdown, args=(location_id, kind, None)) from None
    except PulseBackError as exc:
        raise self.retry(
            exc=exc, countdown=60 * 2**self.request.retries, args=(location_id, kind, None)
        ) from None


def _due_locations(kind):
    """Locations to sync now: not paused, not waiting for a new password, not already queued or running."""
    busy = SyncRun.objects.filter(state__in=[SyncState.QUEUED, SyncState.RUNNING]).values("location_id")
    return (
        Location.objects.exclude(state__in=[ConnectionState.PAUSED, ConnectionState.INVALID_CREDENTIALS])
        .exclude(Q(pk__in=busy))
        .order_by("last_synced_at", "pk")
        .values_list("pk", "backfilled_at")
    )


@shared_task
def sync_due_locations(kind=SyncKind.INCREMENTAL):
    """Beat: queue a sync of every due location of every agency, interleaved across agencies.

    Round-robin order means one agency with hundreds of locations does not push
    the others' syncs to the back of the queue.
    """
    from clients.services import sync_queue

    per_agency = []
    for agency in get_tenant_model().objects.exclude(schema_name="public"):
        with tenant_context(agency):
            per_agency.append((agency, list(_due_locations(kind))))
    queued = 0
    for round_ in itertools.zip_longest(*[[(agency, loc) for loc in locs] for agency, locs in per_agency]):
        for entry in filter(None, round_):
            agency, (location_id, backfilled_at) = entry
            with tenant_context(agency):
                location = Location(pk=location_id)
                sync_queue(location=location, kind=kind if backfilled_at else SyncKind.BACKFILL)
            queued += 1
    logger.info("queued %s %s syncs across %s agencies", queued, kind, len(per_agency))
    return queued

"""Which locations a scheduled sync takes up, and in what order."""

from django.db.models import Q

from clients.models import ConnectionState, Location, SyncRun, SyncState


def locations_due(*, kind):
    """Locations to sync now: not paused, not waiting for a new password, not already queued or running."""
    busy = SyncRun.objects.filter(state__in=[SyncState.QUEUED, SyncState.RUNNING]).values("location_id")
    return (
        Location.objects.exclude(state__in=[ConnectionState.PAUSED, ConnectionState.INVALID_CREDENTIALS])
        .exclude(Q(pk__in=busy))
        .order_by("last_synced_at", "pk")
        .values_list("pk", "backfilled_at")
    )

"""Alerts subscribe to what the sync announces (``agency.events``)."""

from django.dispatch import receiver

from agency import events
from clients.alerts.services import alerts_after_sync
from clients.models import SyncState


@receiver(events.sync_finished)
def negative_feedback_alert(*, run, **_):
    if run.state == SyncState.SUCCEEDED:
        alerts_after_sync(run=run)

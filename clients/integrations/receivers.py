"""Outbound webhook events of the domain: the sync's and the reports' announcements
(``agency.events``) turned into webhook payloads for ``agency.webhooks``."""

from datetime import datetime

from django.db import transaction
from django.dispatch import receiver

from agency import events
from agency.webhooks.models import Event, WebhookEndpoint
from agency.webhooks.services import events_emit
from clients.models import Feedback, FeedbackStatusChange, Location, SyncKind

NEGATIVE_MAX_RATING = 2


def feedback_data(item):
    return {
        "id": item.pulseback_id,
        "created_at": item.created_at,
        "customer_name": item.customer_name,
        "customer_email": item.customer_email,
        "rating": item.rating,
        "comment": item.comment,
        "sentiment": item.sentiment,
        "sentiment_score": item.sentiment_score,
        "themes": item.themes,
        "status": item.status,
        "source": item.source,
        "client": item.client_id,
        "location": item.location_id,
    }


@receiver(events.feedback_batch_written)
def sync_batch_written(*, location, run, written_at, result, **_):
    """After each batch a sync writes (inside its transaction): queue ONE task for the batch's
    events, only when it created or changed something and an endpoint listens."""
    from clients.integrations.tasks import webhook_sync_batch

    if location.connected_at is None or not (result.created or result.status_changes):
        return
    if not WebhookEndpoint.objects.filter(is_active=True).exists():
        return
    stamp = written_at.isoformat()
    transaction.on_commit(lambda: webhook_sync_batch.delay(location.pk, run.kind, stamp))


def sync_batch_events(*, location_id, kind, written_at):
    """The events of one written batch: feedback created in it (new since the location was
    connected, never for a backfill) and status changes recorded in it."""
    if isinstance(written_at, str):
        written_at = datetime.fromisoformat(written_at)
    location = Location.objects.filter(pk=location_id).first()
    if location is None or location.connected_at is None:
        return []
    batch = []
    if kind != SyncKind.BACKFILL:
        created = Feedback.objects.filter(
            location_id=location_id, first_seen_at=written_at, created_at__gte=location.connected_at
        ).order_by("created_at", "id")
        for item in created:
            data = feedback_data(item)
            batch.append((Event.FEEDBACK_CREATED, item.client_id, data))
            if item.rating <= NEGATIVE_MAX_RATING or item.sentiment == "negative":
                batch.append((Event.FEEDBACK_NEGATIVE, item.client_id, data))
    changes = FeedbackStatusChange.objects.filter(
        feedback__location_id=location_id, seen_at=written_at
    ).select_related("feedback")
    for change in changes:
        data = {
            **feedback_data(change.feedback),
            "old_status": change.old_status,
            "new_status": change.new_status,
        }
        batch.append((Event.FEEDBACK_STATUS_CHANGED, change.feedback.client_id, data))
    return events_emit(events=batch) if batch else []


@receiver(events.sync_failed)
def sync_failed_emit(*, run, location, message, **_):
    """A sync run failed."""
    data = {
        "sync_run": run.pk,
        "kind": run.kind,
        "client": location.client_id,
        "location": location.pk,
        "error": message,
    }
    return events_emit(events=[(Event.SYNC_FAILED, location.client_id, data)])


@receiver(events.report_ready)
def report_ready_emit(*, report, **_):
    """A report was generated (ready, or waiting for approval)."""
    data = {
        "id": report.pk, "client": report.client_id, "location": report.location_id,
        "start": report.start, "end": report.end, "state": report.state,
    }  # fmt: skip
    return events_emit(events=[(Event.REPORT_READY, report.client_id, data)])

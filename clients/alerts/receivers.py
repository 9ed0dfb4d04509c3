"""Alerts subscribe to what the sync announces (``agency.events``), and add their settings to the
agency's export (the alerts themselves are in the clients layer's part)."""

from django.dispatch import receiver

from agency import events
from clients.alerts.models import AlertChannel, AlertRule
from clients.alerts.services import alert_login_broken, alert_sync_failing, alerts_after_sync
from clients.models import ConnectionState, SyncState


@receiver(events.sync_finished)
def negative_feedback_alert(*, run, **_):
    if run.state == SyncState.SUCCEEDED:
        alerts_after_sync(run=run)


@receiver(events.location_state_changed)
def login_broken_alert(*, location, new, **_):
    if new == ConnectionState.INVALID_CREDENTIALS:
        alert_login_broken(location=location)


@receiver(events.sync_failed)
def sync_failing_alert(*, location, message="", **_):
    alert_sync_failing(location=location, error=message)


@receiver(events.data_exported, dispatch_uid="clients.alerts.export")
def alert_settings_export(*, archive, **_):
    """The rules, and the chat channels without their URLs (whoever holds one may post)."""
    rules = ("id", "kind", "client_id", "muted", "max_rating", "min_spike", "silence_days",
             "unresolved_hours", "failures_in_row", "digest", "recipients")  # fmt: skip
    archive.table("alert_rules", rules, lambda: AlertRule.objects.order_by("pk").values_list(*rules))
    chats = ("id", "kind", "name", "host", "created_at", "last_attempt_at", "last_status_code")
    archive.table("alert_channels", chats, lambda: AlertChannel.objects.order_by("pk").values_list(*chats))

"""What the platform operator's tools need from the clients layer, through agency.events: an
agency's figures (usage_measured), its data in the export (data_exported: clients, locations
without passwords or sessions, feedback, status changes, alerts, sync runs), and the PulseBack
sign-in budget as a metric. Connected in ClientsConfig.ready()."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from agency import events
from agency.metrics.collectors import scrape_gauge
from agency.ratelimit import window_count
from clients.alerts.models import Alert
from clients.auth_budget import WINDOW_SECONDS
from clients.models import (
    Client,
    ConnectionState,
    Feedback,
    FeedbackDaily,
    FeedbackStatusChange,
    Location,
    SyncRun,
    SyncState,
)

FAILING = (ConnectionState.INVALID_CREDENTIALS, ConnectionState.UNREACHABLE, ConnectionState.RATE_LIMITED)
# Never exported: the PulseBack password and the kept session (encrypted at rest, still secrets).
LOCATION_FIELDS = (
    "id",
    "client_id",
    "client__name",
    "name",
    "pulseback_email",
    "api_url",
    "auth_url",
    "state",
    "last_error",
    "last_synced_at",
    "connected_at",
    "backfilled_at",
    "created_at",
)
FEEDBACK_FIELDS = (
    "id",
    "client_id",
    "location_id",
    "pulseback_id",
    "created_at",
    "customer_name",
    "customer_email",
    "rating",
    "comment",
    "sentiment",
    "sentiment_score",
    "themes",
    "status",
    "source",
    "first_seen_at",
    "last_seen_at",
    "removed_at",
)


def usage(**kwargs):
    since = timezone.now() - timedelta(hours=24)
    locations = Location.objects.aggregate(
        total=Count("pk"),
        failing=Count("pk", filter=Q(state__in=FAILING)),
        oldest=Min(Coalesce("last_synced_at", "created_at"), filter=~Q(state=ConnectionState.PAUSED)),
    )
    runs = SyncRun.objects.filter(finished_at__gte=since).aggregate(
        done=Count("pk"), failed=Count("pk", filter=Q(state=SyncState.FAILED))
    )
    return {
        "clients": Client.objects.count(),
        "locations": locations["total"],
        "locations_failing": locations["failing"],
        "oldest_success_at": locations["oldest"],
        "items": FeedbackDaily.objects.aggregate(items=Sum("count"))["items"] or 0,
        "syncs_24h": runs["done"],
        "sync_failures_24h": runs["failed"],
    }


def _rows(queryset, fields):
    return lambda: queryset.order_by("pk").values_list(*fields).iterator(chunk_size=2000)


def export(archive, **kwargs):
    fields = ("id", "name", "timezone", "report_recipients", "notes", "created_at")
    archive.table("clients", fields, _rows(Client.objects.all(), fields))
    archive.table("locations", LOCATION_FIELDS, _rows(Location.objects.all(), LOCATION_FIELDS))
    archive.table("feedback", FEEDBACK_FIELDS, _rows(Feedback.objects.all(), FEEDBACK_FIELDS))
    fields = ("id", "feedback_id", "old_status", "new_status", "seen_at")
    archive.table("feedback_status_changes", fields, _rows(FeedbackStatusChange.objects.all(), fields))
    fields = (
        "id",
        "kind",
        "client_id",
        "location_id",
        "feedback_id",
        "message",
        "created_at",
        "emailed_at",
        "read_at",
    )
    archive.table("alerts", fields, _rows(Alert.objects.all(), fields))
    fields = (
        "id",
        "location_id",
        "kind",
        "state",
        "queued_at",
        "started_at",
        "finished_at",
        "fetched",
        "created",
        "updated",
        "removed",
        "skipped",
        "error",
    )
    archive.table("sync_runs", fields, _rows(SyncRun.objects.all(), fields))


@scrape_gauge
def signin_budget():
    """How much of this minute's PulseBack sign-in budget (all agencies together) is spent."""
    used = window_count(key="pulseback-auth", seconds=WINDOW_SECONDS, shared=True)
    family = GaugeMetricFamily(
        "portal_pulseback_signin_budget_used_ratio",
        "Share of this minute's PulseBack sign-in and refresh budget spent (all agencies together).",
    )
    family.add_metric([], used / max(1, settings.PULSEBACK_AUTH_PER_MINUTE))
    yield family


def connect():
    events.usage_measured.connect(usage, dispatch_uid="clients.operations.usage")
    events.data_exported.connect(export, dispatch_uid="clients.operations.export")

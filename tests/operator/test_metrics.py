"""/metrics: Prometheus' format, for a scraper with the token only, with what an operator watches: a
sync's outcome and items, a failed sync, report renders and sends, webhook results, request latency
by view, sync lag per agency, queue lengths and heartbeats."""

import contextlib
from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from agency.models import WorkerHeartbeat
from agency.operator import services
from agency.webhooks import transport
from agency.webhooks.models import WebhookDelivery, WebhookEndpoint
from agency.webhooks.services import DeliveryRetry, delivery_attempt
from clients.models import SyncKind
from clients.sync import location_sync
from reports.models import Report, ReportState
from reports.services import report_generate, report_send
from tests.conftest import host_client
from tests.factories import FeedbackFactory, LocationFactory, rollup
from tests.production.stack import samples

TOKEN = "metrics-test-token"


@pytest.fixture
def scrape(settings, db):
    settings.METRICS_TOKEN = TOKEN

    def read():
        response = host_client("localhost").get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain; version=0.0.4")
        return samples(response.content.decode())

    return read


def test_only_a_scraper_with_the_token_reads_it(settings, agency):
    settings.METRICS_TOKEN = ""
    assert host_client("localhost").get("/metrics").status_code == 404
    settings.METRICS_TOKEN = TOKEN
    for host in ("localhost", agency.get_primary_domain().domain, "10.0.0.5"):
        assert host_client(host).get("/metrics").status_code == 401
        assert host_client(host).get("/metrics", HTTP_AUTHORIZATION="Bearer nope").status_code == 401
        assert host_client(host).get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def _delta(before, after, *key):
    return after.get(key, 0) - before.get(key, 0)


def test_a_sync_and_a_failed_sync(agency, scrape, sandbox_account, make_location):
    before = scrape()
    connection.set_tenant(agency)
    location_sync(location_id=make_location(sandbox_account(items=42)).pk, kind=SyncKind.BACKFILL)
    wrong = make_location(sandbox_account(items=3), password="not-the-password", name="Harbour")
    location_sync(location_id=wrong.pk, kind=SyncKind.BACKFILL)

    after = scrape()

    runs = "portal_sync_runs_total"
    assert _delta(before, after, runs, ("kind", "backfill"), ("outcome", "succeeded")) == 1
    assert _delta(before, after, runs, ("kind", "backfill"), ("outcome", "failed")) == 1
    assert _delta(before, after, "portal_feedback_items_synced_total", ("change", "created")) == 42


def test_a_report_rendered_and_sent(agency, scrape):
    location = LocationFactory(client__report_recipients=["owner@bistro.example"], client__timezone="UTC")
    client = location.client
    FeedbackFactory(location=location, created_at=timezone.now() - timedelta(days=40))
    rollup(client)
    end = date.today().replace(day=1) - timedelta(days=1)
    rendered = Report.objects.create(client=client, start=end.replace(day=1), end=end)
    ready = Report.objects.create(
        client=client, start=date(2026, 1, 1), end=date(2026, 1, 31), state=ReportState.READY
    )
    ready.pdf.save("january.pdf", ContentFile(b"%PDF-1.7"))
    before = scrape()

    report_generate(report_id=rendered.pk)
    report_send(report_id=ready.pk)

    after = scrape()
    assert _delta(before, after, "portal_report_renders_total", ("state", "ready")) == 1
    assert _delta(before, after, "portal_report_sends_total") == 1


def test_webhook_deliveries_by_result(agency, scrape, monkeypatch):
    endpoint = WebhookEndpoint.objects.create(
        url="https://hooks.example.com/x", events=["sync.failed"], secret="s"
    )
    outcomes = iter(
        [transport.Outcome(200, 5), transport.Outcome(503, 5), transport.Outcome(None, 5, "timeout")]
    )
    monkeypatch.setattr("agency.webhooks.services.transport.post", lambda **kwargs: next(outcomes))
    before = scrape()

    for _ in range(3):
        delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="sync.failed", payload={})
        with contextlib.suppress(DeliveryRetry):  # a failed attempt asks to be retried
            delivery_attempt(delivery_id=delivery.pk)

    after = scrape()
    for result in ("delivered", "http_error", "unreachable"):
        assert _delta(before, after, "portal_webhook_deliveries_total", ("result", result)) == 1


def test_requests_by_view(agency, owner, scrape):
    before = scrape()
    connection.set_tenant(agency)  # the scrape left the connection in the public schema
    host_client(agency, user=owner).get("/")
    after = scrape()
    assert (
        _delta(
            before, after, "portal_http_request_duration_seconds_count", ("method", "GET"), ("view", "home")
        )
        == 1
    )
    assert _delta(before, after, "portal_http_requests_total", ("status", "2xx"), ("view", "home")) == 1


def test_sync_lag_per_agency_queues_and_heartbeats(agency, scrape, sandbox_account, make_location):
    location = make_location(sandbox_account(items=5))
    location.__class__.objects.filter(pk=location.pk).update(
        last_synced_at=timezone.now() - timedelta(hours=2)
    )
    services.usage_measure(agency=agency)
    connection.set_schema_to_public()
    WorkerHeartbeat.objects.create(queue="sync", worker="host", at=timezone.now() - timedelta(seconds=20))

    metrics = scrape()

    assert 7190 < metrics[("portal_sync_lag_seconds", ("agency", "alpha"))] < 7300
    assert 19 < metrics[("portal_worker_heartbeat_age_seconds", ("queue", "sync"))] < 60
    assert {key[1][1] for key in metrics if key[0] == "portal_queue_length"} >= {
        "sync",
        "reports",
        "messages",
    }
    assert metrics[("portal_agencies", ("state", "active"))] >= 2
    assert ("portal_pulseback_signin_budget_used_ratio",) in metrics

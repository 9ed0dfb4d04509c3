"""What the operator sees of each agency (usage, last activity, sync health), and what /healthz says
of the workers behind each queue."""

from datetime import UTC, datetime, timedelta

import time_machine
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from agency.celery import queue_names
from agency.models import Agency, AgencyUsage, WorkerHeartbeat
from agency.operator import services
from agency.team.models import Role, User
from clients.models import ConnectionState, SyncRun, SyncState
from reports.models import Report
from tests.conftest import host_client
from tests.factories import FeedbackFactory, LocationFactory, rollup

NOW = datetime(2026, 10, 14, 9, 30, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
def test_usage_of_an_agency(agency, owner, make_user):
    main = LocationFactory(client__name="Bistro Verde", last_synced_at=NOW - timedelta(minutes=10))
    LocationFactory(
        client=main.client, state=ConnectionState.INVALID_CREDENTIALS, last_synced_at=NOW - timedelta(days=3)
    )
    LocationFactory(
        client__name="Salon", state=ConnectionState.PAUSED, last_synced_at=NOW - timedelta(days=30)
    )
    FeedbackFactory.create_batch(7, location=main, created_at=NOW - timedelta(days=2))
    rollup(main.client)
    for state, finished in ((SyncState.SUCCEEDED, 1), (SyncState.FAILED, 2), (SyncState.SUCCEEDED, 30)):
        SyncRun.objects.create(
            location=main, kind="incremental", state=state, finished_at=NOW - timedelta(hours=finished)
        )
    Report.objects.create(client=main.client, start="2026-09-01", end="2026-09-30").pdf.save(
        "r.pdf", ContentFile(b"x" * 2048)
    )
    make_user(Role.ADMIN)
    make_user(Role.CLIENT_VIEWER)
    User.objects.filter(pk=owner.pk).update(last_login=NOW - timedelta(hours=5))

    usage = services.usage_measure(agency=agency)

    assert (usage.clients, usage.locations, usage.locations_failing, usage.members, usage.items) == (
        2,
        3,
        1,
        2,
        7,
    )
    assert (usage.syncs_24h, usage.sync_failures_24h, usage.report_bytes) == (2, 1, 2048)
    assert usage.oldest_success_at == NOW - timedelta(days=3)  # the paused location does not count
    assert usage.last_activity_at == NOW - timedelta(hours=5)


@time_machine.travel(NOW, tick=False)
def test_the_console_lists_agencies_with_plan_usage_and_health(agency, console, make_plan):
    connection.set_tenant(agency)
    LocationFactory(state=ConnectionState.UNREACHABLE, last_synced_at=NOW - timedelta(hours=1))
    services.usage_measure(agency=agency)
    connection.set_schema_to_public()
    Agency.objects.filter(slug="alpha").update(plan=make_plan("Agency Pro"))
    Agency.objects.filter(slug="beta").update(suspended_at=NOW)

    page = console.get("/operator/").content.decode()

    assert "Alpha Agency" in page and "Agency Pro" in page and "1 of 1 locations failing" in page
    assert "Beta Agency" in page and "suspended" in page
    suspended = console.get("/operator/?state=suspended").content.decode()
    assert "Beta Agency" in suspended and "Alpha Agency" not in suspended
    assert "Beta Agency" not in console.get("/operator/?q=alpha").content.decode()
    detail = console.get("/operator/agencies/alpha/").content.decode()
    assert "alpha.localhost" in detail and "1 of 1 locations failing" in detail


def test_measure_now_from_the_console(agency, console):
    connection.set_tenant(agency)
    LocationFactory()
    console.post("/operator/agencies/alpha/measure/")
    connection.set_schema_to_public()
    assert AgencyUsage.objects.get(agency__slug="alpha").locations == 1


def test_healthz_without_workers_is_degraded_and_strict_says_503(db):
    web = host_client("localhost")

    body = web.get("/healthz").json()

    assert web.get("/healthz").status_code == 200
    assert (body["status"], body["database"], body["broker"]) == ("degraded", "ok", "ok")
    assert body["workers"].startswith("no recent heartbeat on ")
    assert web.get("/healthz?strict=1").status_code == 503


def test_healthz_with_a_fresh_heartbeat_on_every_queue(db, settings):
    now = timezone.now()
    for queue in queue_names():
        WorkerHeartbeat.objects.create(queue=queue, worker="host", at=now - timedelta(seconds=10))
    WorkerHeartbeat.objects.filter(queue="reports").update(
        at=now - timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS + 5)
    )
    web = host_client("localhost")

    assert web.get("/healthz").json()["workers"] == "no recent heartbeat on reports"
    WorkerHeartbeat.objects.filter(queue="reports").update(at=now)
    body = web.get("/healthz?strict=1").json()
    assert (body["status"], body["workers"]) == ("ok", "ok")
    assert set(body["heartbeat_age_seconds"]) == set(queue_names())


def test_the_heartbeat_task_records_the_queue(db):
    from agency.operator.tasks import heartbeat

    heartbeat.apply(kwargs={"queue": "sync"})

    assert WorkerHeartbeat.objects.get(queue="sync").at > timezone.now() - timedelta(seconds=5)

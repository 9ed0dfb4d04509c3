"""A suspended agency: its users see a branded notice, its API answers 403, its syncs, schedules and
webhooks stop (no PulseBack traffic at all), and nothing is deleted. Resuming restores everything,
the work that waited included."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from agency.celery import app as celery_app
from agency.fanout import agencies_each
from agency.models import Agency, OperatorEvent, ParkedTask
from agency.operator import services
from agency.operator.tasks import usage_refresh
from agency.services import agency_create
from agency.team.models import Role
from agency.webhooks import transport
from agency.webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from clients.models import Client, Feedback, Location, SyncKind, SyncRun
from clients.tasks import sync_due_locations, sync_location
from tests.conftest import PASSWORD, SANDBOX_PASSWORD, committed, host_client, published
from tests.factories import ClientFactory


def test_users_see_the_agencys_notice_and_nothing_else(agency, owner, console):
    connection.set_tenant(agency)
    client = ClientFactory(name="Bistro Verde")
    console.post("/operator/agencies/alpha/suspend/", {"reason": "invoice unpaid"})
    connection.set_tenant(agency)
    web = host_client(agency, user=owner)

    for path in ("/", f"/clients/{client.pk}/", "/login/", "/settings/branding/"):
        page = web.get(path)
        assert page.status_code == 403, path
        text = page.content.decode()
        assert "This workspace is suspended" in text and "Alpha Agency" in text
        assert "Bistro Verde" not in text
        assert "contact the platform operator" in text
    assert host_client(agency).get("/favicon.ico").status_code != 403


def test_the_api_stops(agency, api_for, console):
    connection.set_tenant(agency)
    api = api_for(Role.OWNER)
    console.post("/operator/agencies/alpha/suspend/", {})

    response = api.get("/api/v1/clients")

    assert response.status_code == 403
    assert response.json()["message"].startswith(
        "Alpha Agency's workspace is suspended. Nothing has been deleted"
    )


def test_resuming_restores_the_portal_and_the_audit_log_says_who(agency, owner, operator):
    user, console = operator
    console.post("/operator/agencies/alpha/suspend/", {"reason": "invoice unpaid"})
    console.post("/operator/agencies/alpha/resume/")

    connection.set_tenant(agency)
    assert host_client(agency, user=owner).get("/").status_code == 200
    connection.set_schema_to_public()
    events = OperatorEvent.objects.order_by("at").values_list(
        "actor_label", "action", "agency_slug", "details"
    )
    assert list(events) == [
        (user.email, "agency.suspended", "alpha", {"reason": "invoice unpaid"}),
        (user.email, "agency.resumed", "alpha", {}),
    ]


@pytest.fixture
def committed_agency(db, sandbox_account, sandbox_server):
    """An agency of its own, committed (a worker thread reads it), with a location on a sandbox
    account and a webhook endpoint; deleted afterwards."""
    email = sandbox_account(items=120)

    def setup():
        made = agency_create(
            slug="paused-agency", name="Paused Agency", owner_email="o@paused.test", owner_password=PASSWORD
        )
        with tenant_context(made):
            location = Location.objects.create(
                client=Client.objects.create(name="Bistro Verde"),
                name="Main",
                pulseback_email=email,
                pulseback_password=SANDBOX_PASSWORD,
                api_url=sandbox_server.api_url,
                auth_url=sandbox_server.auth_url,
                anon_key=sandbox_server.anon_key,
            )
            endpoint = WebhookEndpoint.objects.create(
                url="https://hooks.example.com/x", events=["sync.failed"], secret="whsec_test"
            )
            delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="sync.failed", payload={})
        return made, location, delivery

    made, location, delivery = committed(setup)
    yield made, location, delivery, email

    def remove():
        Agency.objects.get(pk=made.pk).delete(force_drop=True)
        OperatorEvent.objects.filter(agency_slug=made.slug).delete()  # the operator's log outlives agencies

    committed(remove)


def _wait(check, seconds=30):
    deadline = time.monotonic() + seconds
    while not committed(check):
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.1)


def test_a_suspended_agency_makes_no_pulseback_traffic_and_resume_restores_it(
    committed_agency, sandbox, monkeypatch
):
    made, location, delivery, email = committed_agency
    committed(lambda: services.agency_suspend(actor=None, agency=Agency.objects.get(pk=made.pk)))
    delivered = []

    def post(**request):
        delivered.append(request)
        return transport.Outcome(200, 3)

    monkeypatch.setattr("agency.webhooks.services.transport.post", post)
    headers = {"_schema_name": made.schema_name}

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        sync_due_locations.delay()  # beat's periodic sync: leaves the suspended agency out
        sync_location.apply_async((location.pk, SyncKind.BACKFILL), headers=headers)  # queued before
        celery_app.send_task("agency.webhooks.tasks.webhook_deliver", (delivery.pk,), headers=headers)
        _wait(lambda: ParkedTask.objects.filter(agency_id=made.pk).count() == 2)

        assert sandbox.get_stats(email)["auth_requests"] == 0
        assert sandbox.get_stats(email)["api_requests"] == 0
        assert delivered == []
        committed(lambda: services.agency_resume(actor=None, agency=Agency.objects.get(pk=made.pk)))

        def synced():
            with tenant_context(made):
                return Feedback.objects.filter(location_id=location.pk).count() == 120

        _wait(synced)
        _wait(lambda: not ParkedTask.objects.filter(agency_id=made.pk).exists())
        _wait(lambda: len(delivered) == 1)

    assert sandbox.get_stats(email)["api_list"] >= 2

    def after():
        with tenant_context(made):
            runs = SyncRun.objects.filter(location_id=location.pk).count()
            return runs, WebhookDelivery.objects.get(pk=delivery.pk).state

    assert committed(after) == (1, DeliveryState.SUCCEEDED)


def test_periodic_work_leaves_suspended_agencies_out(agency, other_agency):
    connection.set_schema_to_public()
    Agency.objects.filter(pk=other_agency.pk).update(suspended_at=timezone.now())

    with published(usage_refresh) as messages:
        queued = agencies_each(usage_refresh)

    schemas = [message["headers"]["_schema_name"] for message in messages]
    assert queued == len(schemas)
    assert "agency_alpha" in schemas and "agency_beta" not in schemas

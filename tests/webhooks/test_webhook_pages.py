"""The webhooks pages of the portal: list, add (the secret shown once), test delivery, the delivery
log with response codes, re-enable; owners and admins only."""

import json

import pytest

from agency.team.models import AuditEvent, Role
from agency.webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from agency.webhooks.services import endpoint_create
from agency.webhooks.signing import signature_verify
from tests.conftest import host_client


@pytest.fixture
def endpoint(agency, owner, receiver):
    created, _secret = endpoint_create(actor=owner, url=receiver.url, events=["sync.failed"])
    return WebhookEndpoint.objects.get(pk=created.pk)


def test_a_manager_adds_an_endpoint_and_sees_its_secret_once(agency, owner, receiver, clients_two):
    web = host_client(agency, user=owner)
    form = {
        "url": receiver.url,
        "description": "Zapier",
        "events": ["feedback.negative", "sync.failed"],
        "client": clients_two[0].pk,
    }

    created = web.post("/settings/webhooks/", form)

    endpoint = WebhookEndpoint.objects.get()
    secret = endpoint.secret.reveal()
    assert created.status_code == 201 and secret in created.content.decode()
    assert (endpoint.events, endpoint.client, endpoint.description) == (
        ["feedback.negative", "sync.failed"],
        clients_two[0],
        "Zapier",
    )
    listed = web.get("/settings/webhooks/").content.decode()
    again = web.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()
    assert receiver.url.replace("&", "&amp;") in listed and "Only Bistro Verde" in listed
    assert secret not in listed and secret not in again
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["webhook.created"]


def test_a_bad_url_or_no_event_is_refused_next_to_the_field(agency, owner, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK_TARGETS = False
    web = host_client(agency, user=owner)

    loopback = web.post("/settings/webhooks/", {"url": "http://127.0.0.1:9/in", "events": ["sync.failed"]})
    no_event = web.post("/settings/webhooks/", {"url": "https://hooks.example.com/in"})

    assert "loopback" in loopback.content.decode()
    assert "This field is required." in no_event.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_a_test_delivery_is_signed_and_its_answer_shown(agency, owner, endpoint, receiver):
    web = host_client(agency, user=owner)

    ok = web.post(f"/settings/webhooks/{endpoint.pk}/test/", follow=True).content.decode()
    receiver.always_fail = True
    failed = web.post(f"/settings/webhooks/{endpoint.pk}/test/", follow=True).content.decode()

    assert "Test delivered: HTTP 200 in" in ok and "The test failed (HTTP 500" in failed
    status, headers, body, _path = receiver.requests[0]
    assert json.loads(body)["type"] == "ping" and headers["X-Portal-Event"] == "ping"
    assert signature_verify(secret=endpoint.secret.reveal(), header=headers["X-Portal-Signature"], body=body)
    assert not WebhookDelivery.objects.exists()  # the log keeps real events only


def test_the_delivery_log_shows_response_codes_and_errors(agency, owner, endpoint):
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="sync.failed",
        payload={},
        attempts=1,
        state=DeliveryState.SUCCEEDED,
        response_code=204,
        duration_ms=31,
    )
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="sync.failed",
        payload={},
        attempts=8,
        state=DeliveryState.FAILED,
        response_code=503,
        error="HTTP 503",
    )

    page = host_client(agency, user=owner).get(f"/settings/webhooks/{endpoint.pk}/").content.decode()

    assert "HTTP 204" in page and "31 ms" in page and "HTTP 503" in page and "Failed" in page


def test_a_disabled_endpoint_says_why_and_is_re_enabled(agency, owner, endpoint):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, consecutive_failures=20, disabled_reason="20 failed delivery attempts in a row"
    )
    web = host_client(agency, user=owner)

    page = web.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()
    web.post(f"/settings/webhooks/{endpoint.pk}/enable/")

    assert "Disabled" in page and "20 failed delivery attempts in a row" in page and "Re-enable" in page
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.consecutive_failures, endpoint.disabled_reason) == (True, 0, "")


def test_editing_changes_only_what_changed_and_removing_unsubscribes(agency, owner, endpoint):
    web = host_client(agency, user=owner)
    form = {
        "url": endpoint.url,
        "description": "CRM",
        "events": ["sync.failed", "report.ready"],
        "is_active": "on",
    }

    web.post(f"/settings/webhooks/{endpoint.pk}/", form)
    endpoint.refresh_from_db()
    web.post(f"/settings/webhooks/{endpoint.pk}/remove/")

    assert (endpoint.description, endpoint.events) == ("CRM", ["sync.failed", "report.ready"])
    updated = AuditEvent.objects.get(action="webhook.updated")
    assert {"description", "events"} <= set(updated.details["fields"])
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("role", [Role.STAFF, Role.CLIENT_VIEWER])
def test_staff_and_client_viewers_get_nothing(agency, endpoint, make_user, role, receiver, clients_two):
    from clients.models import ViewerAccess

    user = make_user(role)
    if role == Role.CLIENT_VIEWER:
        ViewerAccess.objects.create(user=user, client=clients_two[0])
    web = host_client(agency, user=user)

    assert web.get("/settings/webhooks/").status_code == 403
    assert web.get(f"/settings/webhooks/{endpoint.pk}/").status_code == 403
    for action in ("test", "enable", "remove"):
        assert web.post(f"/settings/webhooks/{endpoint.pk}/{action}/").status_code == 403
    assert receiver.requests == [] and WebhookEndpoint.objects.exists()

"""GET/POST /api/v1/webhooks, GET/PATCH/DELETE /api/v1/webhooks/{id}, GET .../deliveries."""

import pytest
from django.db import connection

from agency.team.models import Role
from agency.webhooks.models import WebhookDelivery, WebhookEndpoint
from agency.webhooks.services import endpoint_create


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_managers_subscribe_a_url_and_see_the_secret_once(api_for, receiver, role):
    api = api_for(role)

    response = api.post(
        "/api/v1/webhooks", {"url": receiver.url, "events": ["feedback.created", "sync.failed"]}
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["secret"].startswith("whsec_") and body["events"] == ["feedback.created", "sync.failed"]
    listed = api.get("/api/v1/webhooks").json()
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]
    assert "secret" not in api.get(f"/api/v1/webhooks/{body['id']}").json()


def test_subscribe_for_one_client(api_for, clients_two, receiver):
    response = api_for(Role.OWNER).post(
        "/api/v1/webhooks",
        {"url": receiver.url, "events": ["feedback.negative"], "client": clients_two[0].pk},
    )

    assert response.status_code == 201 and response.json()["client"] == clients_two[0].pk


@pytest.mark.parametrize("role", [Role.STAFF, Role.CLIENT_VIEWER])
def test_staff_and_client_viewers_cannot_manage_webhooks(api_for, clients_two, receiver, role):
    api = api_for(role, client=clients_two[0])

    assert api.get("/api/v1/webhooks").status_code == 403
    assert api.post("/api/v1/webhooks", {"url": receiver.url, "events": ["sync.failed"]}).status_code == 403


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "http://x.test/h", "events": ["feedback.deleted"]}, "events"),
        ({"url": "http://x.test/h", "events": []}, "events"),
        ({"url": "not-a-url", "events": ["sync.failed"]}, "url"),
        ({"url": "http://x.test/h", "events": ["sync.failed"], "secret": "mine"}, "secret"),
    ],
)
def test_bad_subscriptions_are_400_naming_the_field(api_for, payload, field):
    response = api_for(Role.OWNER).post("/api/v1/webhooks", payload)

    assert response.status_code == 400 and field in response.json()["fields"]


def test_a_client_that_is_not_the_agencys_is_404_naming_the_field(api_for):
    payload = {"url": "http://x.test/h", "events": ["sync.failed"], "client": 987654}

    response = api_for(Role.OWNER).post("/api/v1/webhooks", payload)

    assert response.status_code == 404 and "client" in response.json()["fields"]


def test_a_private_target_is_refused_unless_allowed(api_for, settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK_TARGETS = False

    response = api_for(Role.OWNER).post(
        "/api/v1/webhooks", {"url": "http://10.0.0.1/h", "events": ["sync.failed"]}
    )

    assert response.status_code == 400 and "url" in response.json()["fields"]


def test_reenable_update_delete_and_the_delivery_log(api_for, receiver):
    api = api_for(Role.ADMIN)
    endpoint, _secret = endpoint_create(actor=None, url=receiver.url, events=["sync.failed"])
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False, consecutive_failures=20)
    WebhookDelivery.objects.create(
        endpoint=endpoint, event="sync.failed", payload={}, response_code=500, duration_ms=12
    )

    patched = api.patch(
        f"/api/v1/webhooks/{endpoint.pk}", {"is_active": True, "events": ["feedback.created"]}
    )
    log = api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries")

    assert patched.status_code == 200
    assert patched.json()["is_active"] and patched.json()["consecutive_failures"] == 0
    assert (
        log.status_code == 200
        and log.json()[0]["response_code"] == 500
        and log.json()[0]["duration_ms"] == 12
    )
    assert api.delete(f"/api/v1/webhooks/{endpoint.pk}").status_code == 204
    assert api.get(f"/api/v1/webhooks/{endpoint.pk}").status_code == 404


def test_another_agencys_endpoint_is_404(agency, other_agency, api_for, receiver):
    api = api_for(Role.OWNER)
    connection.set_tenant(other_agency)
    theirs, _ = endpoint_create(actor=None, url=receiver.url, events=["sync.failed"])
    connection.set_tenant(agency)

    assert api.get(f"/api/v1/webhooks/{theirs.pk}").status_code == 404
    assert api.delete(f"/api/v1/webhooks/{theirs.pk}").status_code == 404

"""POST /api/v1/clients/{id}/feedback and GET/POST /api/v1/locations/{id}/pos-trigger."""

import pytest
from django.db import connection

from agency.team.models import Role
from clients.integrations import tasks
from clients.integrations.models import PosOrder, PosTrigger
from clients.models import Client, Location


@pytest.fixture
def queued(monkeypatch):
    ids = []
    monkeypatch.setattr(tasks.pos_order_submit, "delay", lambda pk: ids.append(pk))
    return ids


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.STAFF])
def test_create_feedback_for_an_order_once(
    api_for, clients_two, queued, role, django_capture_on_commit_callbacks
):
    api = api_for(role)
    path = f"/api/v1/clients/{clients_two[0].pk}/feedback"
    order = {"order_id": "sq-77", "customer_name": "Ann", "customer_email": "ann@x.test", "rating": 5}

    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(path, order)
        again = api.post(path, order)

    assert first.status_code == 202 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"] and first.json()["state"] == "pending"
    assert queued == [first.json()["id"]]
    assert PosOrder.objects.get().channel == "api"


def test_the_locations_starting_rating_is_the_default(api_for, clients_two, queued):
    location = clients_two[0].locations.get()
    PosTrigger.objects.create(location=location, secret="s", starting_rating=3)

    response = api_for(Role.OWNER).post(f"/api/v1/clients/{clients_two[0].pk}/feedback", {"order_id": "1"})

    assert response.json()["rating"] == 3


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"order_id": "1", "rating": 6}, "rating"),
        ({"order_id": "1", "rating": "five"}, "rating"),
        ({"rating": 5}, "order_id"),
        ({"order_id": "1", "customer_email": "nope"}, "customer_email"),
        ({"order_id": "1", "coupon": "X"}, "coupon"),
    ],
)
def test_bad_input_is_400_naming_the_field(api_for, clients_two, payload, field):
    response = api_for(Role.OWNER).post(f"/api/v1/clients/{clients_two[0].pk}/feedback", payload)

    assert response.status_code == 400 and field in response.json()["fields"]


def test_a_location_of_another_client_is_404_naming_the_field(api_for, clients_two):
    other = clients_two[1].locations.get()

    response = api_for(Role.OWNER).post(
        f"/api/v1/clients/{clients_two[0].pk}/feedback", {"order_id": "1", "location": other.pk}
    )

    assert response.status_code == 404 and "location" in response.json()["fields"]


def test_a_client_viewer_cannot_create_feedback(api_for, clients_two):
    api = api_for(Role.CLIENT_VIEWER, client=clients_two[0])

    assert api.post(f"/api/v1/clients/{clients_two[0].pk}/feedback", {"order_id": "1"}).status_code == 403


def test_another_agencys_client_is_404(agency, other_agency, api_for):
    api = api_for(Role.OWNER)
    connection.set_tenant(other_agency)
    theirs = Client.objects.create(name="Theirs")
    connection.set_tenant(agency)

    assert api.post(f"/api/v1/clients/{theirs.pk}/feedback", {"order_id": "1"}).status_code == 404


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_managers_set_up_and_rotate_a_pos_trigger(api_for, clients_two, role):
    api = api_for(role)
    location = clients_two[0].locations.get()
    path = f"/api/v1/locations/{location.pk}/pos-trigger"

    assert api.get(path).status_code == 404
    created = api.post(path, {"starting_rating": 4}).json()
    shown = api.get(path).json()
    rotated = api.post(path, {"rotate_secret": True}).json()

    assert created["secret"].startswith("possec_") and created["starting_rating"] == 4
    assert "/hooks/pos/" in created["url"] and shown["url"] == created["url"]
    assert "secret" not in shown
    assert rotated["secret"] != created["secret"]
    assert PosTrigger.objects.get(location=location).secret.reveal() == rotated["secret"]


@pytest.mark.parametrize("role", [Role.STAFF, Role.CLIENT_VIEWER])
def test_others_cannot_manage_pos_triggers(api_for, clients_two, role):
    api = api_for(role, client=clients_two[0])
    location = clients_two[0].locations.get()

    assert api.post(f"/api/v1/locations/{location.pk}/pos-trigger", {}).status_code == 403


def test_pos_trigger_bad_input_and_unknown_location(api_for, clients_two):
    api = api_for(Role.OWNER)
    location = clients_two[0].locations.get()

    bad = api.post(f"/api/v1/locations/{location.pk}/pos-trigger", {"starting_rating": 0})
    assert bad.status_code == 400 and "starting_rating" in bad.json()["fields"]
    assert api.post("/api/v1/locations/987654/pos-trigger", {}).status_code == 404
    assert Location.objects.filter(pk=location.pk).exists()


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.STAFF, Role.CLIENT_VIEWER])
def test_a_feedback_requests_state_can_be_read(api_for, clients_two, role):
    order = PosOrder.objects.create(location=clients_two[0].locations.get(), order_id="o-1", rating=5)
    other = PosOrder.objects.create(location=clients_two[1].locations.get(), order_id="o-2", rating=5)
    api = api_for(role, client=clients_two[0])

    response = api.get(f"/api/v1/feedback-requests/{order.pk}")

    assert response.status_code == 200 and response.json()["state"] == "pending"
    expected = 404 if role == Role.CLIENT_VIEWER else 200
    assert api.get(f"/api/v1/feedback-requests/{other.pk}").status_code == expected
    assert api.get("/api/v1/feedback-requests/987654").status_code == 404

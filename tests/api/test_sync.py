"""POST /api/v1/clients/{id}/sync and GET /api/v1/sync-runs/{id}."""

import pytest
from django.db import connection

from agency.team.models import Role
from clients.models import ConnectionState, Location, SyncRun, SyncState
from tests.api.conftest import ALL_ROLES


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_queue_a_sync_answers_the_run(api_for, clients_two, role, django_capture_on_commit_callbacks):
    api = api_for(role)

    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(f"/api/v1/clients/{clients_two[0].pk}/sync", {"kind": "incremental"})

    assert response.status_code == 202
    (run,) = response.json()["sync_runs"]
    assert run["state"] == "queued" and run["kind"] == "incremental"
    assert run["client"] == clients_two[0].pk
    assert SyncRun.objects.filter(pk=run["id"]).exists()
    assert len(callbacks) == 1  # the task is sent once the transaction commits


def test_a_sync_already_queued_is_answered_again_not_doubled(api_for, clients_two):
    api = api_for(Role.OWNER)

    first = api.post(f"/api/v1/clients/{clients_two[0].pk}/sync").json()["sync_runs"][0]["id"]
    second = api.post(f"/api/v1/clients/{clients_two[0].pk}/sync").json()["sync_runs"][0]["id"]

    assert first == second


def test_paused_locations_are_not_synced(api_for, clients_two):
    Location.objects.filter(client=clients_two[0]).update(state=ConnectionState.PAUSED)

    response = api_for(Role.OWNER).post(f"/api/v1/clients/{clients_two[0].pk}/sync")

    assert response.status_code == 409


@pytest.mark.parametrize(
    ("payload", "field"), [({"kind": "everything"}, "kind"), ({"location": "x"}, "location"), ({"x": 1}, "x")]
)
def test_bad_sync_input_is_400(api_for, clients_two, payload, field):
    response = api_for(Role.OWNER).post(f"/api/v1/clients/{clients_two[0].pk}/sync", payload)

    assert response.status_code == 400 and field in response.json()["fields"]


def test_a_location_of_another_client_is_404_naming_the_field(api_for, clients_two):
    other_location = clients_two[1].locations.get()

    response = api_for(Role.OWNER).post(
        f"/api/v1/clients/{clients_two[0].pk}/sync", {"location": other_location.pk}
    )

    assert response.status_code == 404 and "location" in response.json()["fields"]


def test_a_client_viewer_cannot_queue_a_sync(api_for, clients_two):
    api = api_for(Role.CLIENT_VIEWER, client=clients_two[0])

    assert api.post(f"/api/v1/clients/{clients_two[0].pk}/sync").status_code == 403


def test_another_agencys_client_is_404(agency, other_agency, api_for):
    from clients.models import Client

    api = api_for(Role.OWNER)
    connection.set_tenant(other_agency)
    theirs = Client.objects.create(name="Theirs")
    connection.set_tenant(agency)

    assert api.post(f"/api/v1/clients/{theirs.pk}/sync").status_code == 404


@pytest.mark.parametrize("role", ALL_ROLES)
def test_sync_run_state_and_progress(api_for, clients_two, role):
    location = clients_two[0].locations.get()
    run = SyncRun.objects.create(
        location=location, kind="backfill", state=SyncState.RUNNING, expected=200, fetched=50
    )
    api = api_for(role, client=clients_two[0])

    response = api.get(f"/api/v1/sync-runs/{run.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "running" and body["progress"] == 0.25 and body["location"] == location.pk


def test_a_client_viewer_cannot_see_another_clients_sync_run(api_for, clients_two):
    run = SyncRun.objects.create(location=clients_two[1].locations.get(), kind="backfill")
    api = api_for(Role.CLIENT_VIEWER, client=clients_two[0])

    assert api.get(f"/api/v1/sync-runs/{run.pk}").status_code == 404
    assert api.get("/api/v1/sync-runs/424242").status_code == 404

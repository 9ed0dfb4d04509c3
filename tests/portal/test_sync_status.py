"""The sync status endpoint polled by the progress bars."""

import pytest

from agency.team.models import Role
from clients.models import ConnectionState, SyncKind, SyncRun, SyncState
from tests.conftest import host_client, login_redirect
from tests.factories import ClientFactory, LocationFactory


@pytest.fixture
def running(agency):
    location = LocationFactory(name="Main", state=ConnectionState.CONNECTED)
    LocationFactory(client=location.client, name="Pier", state=ConnectionState.INVALID_CREDENTIALS)
    SyncRun.objects.create(
        location=location, kind=SyncKind.BACKFILL, state=SyncState.RUNNING, expected=200, fetched=50
    )
    return location


def test_status_reports_progress_of_a_running_backfill(running, agency, owner):
    response = host_client(agency, user=owner).get(f"/clients/{running.client_id}/sync-status/")

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    main, pier = response.json()["locations"]
    assert main["run"] == {
        "kind": "backfill",
        "state": "running",
        "fetched": 50,
        "expected": 200,
        "progress": 0.25,
    }
    assert (pier["state"], pier["run"]) == ("invalid_credentials", None)


def test_staff_sees_the_status(running, agency, make_user):
    client = host_client(agency, user=make_user(Role.STAFF))

    assert client.get(f"/clients/{running.client_id}/sync-status/").status_code == 200


def test_outsider_sees_nothing(running, outsider):
    assert login_redirect(outsider.get(f"/clients/{running.client_id}/sync-status/"))


def test_client_viewer_sees_only_their_client(running, agency, viewer_of):
    other = LocationFactory(client=ClientFactory())
    client = host_client(agency, user=viewer_of(running.client))

    assert client.get(f"/clients/{running.client_id}/sync-status/").status_code == 200
    assert client.get(f"/clients/{other.client_id}/sync-status/").status_code == 404

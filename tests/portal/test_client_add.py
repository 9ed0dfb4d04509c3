"""Adding a client with its first location's PulseBack login, and testing the login first."""

import pytest

from agency.team.models import Role
from clients.models import Client, SyncKind, SyncRun, SyncState
from tests.conftest import host_client, login_redirect

FORM = {"name": "Café <Lune>", "timezone": "Europe/Paris", "report_recipients": "a@x.test, b@x.test"}


def test_test_connection_signs_in_and_counts_items(agency, owner, sandbox_login):
    login = sandbox_login(items=42)

    response = host_client(agency, user=owner).post("/clients/new/", {**FORM, **login, "action": "test"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Connected to PulseBack: 42 feedback items" in page
    assert login["pulseback_password"] not in page  # never rendered back
    assert not Client.objects.exists()


def test_test_connection_in_the_background_answers_json(agency, owner, sandbox_login):
    login = sandbox_login(items=7)

    response = host_client(agency, user=owner).post(
        "/clients/new/", {**FORM, **login, "action": "test"}, HTTP_X_REQUESTED_WITH="fetch"
    )

    assert response.json() == {"ok": True, "message": "Connected to PulseBack: 7 feedback items to sync."}
    assert not Client.objects.exists()


def test_test_connection_with_a_wrong_password(agency, owner, sandbox_login):
    login = {**sandbox_login(), "pulseback_password": "wrong-password"}

    response = host_client(agency, user=owner).post("/clients/new/", {**FORM, **login, "action": "test"})

    assert "PulseBack refused this email and password." in response.content.decode()


def test_adding_a_client_queues_its_backfill(agency, owner, sandbox_login):
    response = host_client(agency, user=owner).post(
        "/clients/new/", {**FORM, **sandbox_login(), "action": "save"}
    )

    client = Client.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/clients/{client.pk}/"
    assert (client.name, client.timezone, client.report_recipients) == (
        "Café <Lune>",
        "Europe/Paris",
        ["a@x.test", "b@x.test"],
    )
    run = SyncRun.objects.get(location__client=client)
    assert (run.kind, run.state) == (SyncKind.BACKFILL, SyncState.QUEUED)


def test_invalid_form_shows_errors(agency, owner):
    response = host_client(agency, user=owner).post(
        "/clients/new/", {"name": "", "report_recipients": "nope"}
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"name", "pulseback_email", "report_recipients"}


def test_admin_may_add_clients(agency, make_user):
    assert host_client(agency, user=make_user(Role.ADMIN)).get("/clients/new/").status_code == 200


@pytest.mark.parametrize("role", [Role.STAFF, Role.CLIENT_VIEWER])
def test_staff_and_viewers_may_not(agency, make_user, role):
    assert host_client(agency, user=make_user(role)).get("/clients/new/").status_code == 403


def test_outsider_may_not(agency, outsider):
    assert login_redirect(outsider.post("/clients/new/", {**FORM, "action": "save"}))
    assert not Client.objects.exists()

"""GET/POST /api/v1/clients and GET/PATCH/DELETE /api/v1/clients/{id}."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection

from agency.api.services import api_token_create
from agency.team.models import Role
from clients.models import Client, FeedbackDaily, Location, SyncKind, SyncRun
from tests.api.conftest import ALL_ROLES
from tests.conftest import SANDBOX_PASSWORD, Api
from tests.factories import FeedbackFactory, LocationFactory, rollup


@pytest.mark.parametrize("role", ALL_ROLES)
def test_list_shows_what_the_role_may_see(api_for, clients_two, role):
    api = api_for(role, client=clients_two[1])

    response = api.get("/api/v1/clients")

    assert response.status_code == 200
    names = [c["name"] for c in response.json()]
    expected = ["Café Rouge"] if role == Role.CLIENT_VIEWER else ["Bistro Verde", "Café Rouge"]
    assert names == expected
    assert response.json()[0]["locations"][0]["name"] == "Main"


@pytest.mark.parametrize("role", ALL_ROLES)
def test_detail_of_a_visible_client(api_for, clients_two, role):
    api = api_for(role, client=clients_two[0])

    response = api.get(f"/api/v1/clients/{clients_two[0].pk}")

    assert response.status_code == 200
    assert response.json()["name"] == "Bistro Verde"


def test_a_client_viewer_gets_404_for_another_client(api_for, clients_two):
    api = api_for(Role.CLIENT_VIEWER, client=clients_two[0])

    assert api.get(f"/api/v1/clients/{clients_two[1].pk}").status_code == 404
    assert api.patch(f"/api/v1/clients/{clients_two[1].pk}", {"name": "x"}).status_code in (403, 404)


def test_another_agencys_client_is_404(agency, other_agency, api_for):
    api = api_for(Role.OWNER)
    connection.set_tenant(other_agency)
    theirs = Client.objects.create(name="Beta's client")
    connection.set_tenant(agency)

    assert api.get(f"/api/v1/clients/{theirs.pk}").status_code == 404


def test_unknown_and_huge_ids_are_404(api_for):
    api = api_for(Role.OWNER)

    assert api.get("/api/v1/clients/123456").status_code == 404
    assert api.get("/api/v1/clients/99999999999999999999999").status_code == 404


@pytest.fixture
def create_payload(sandbox_server, sandbox_account):
    def make(**overrides):
        return {
            "name": "Trattoria Uno",
            "timezone": "Europe/Rome",
            "report_recipients": ["boss@trattoria.test"],
            "location_name": "Centro",
            "pulseback_email": sandbox_account(items=42),
            "pulseback_password": SANDBOX_PASSWORD,
            "api_url": sandbox_server.api_url,
            "auth_url": sandbox_server.auth_url,
            "anon_key": sandbox_server.anon_key,
            **overrides,
        }

    return make


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_create_tests_the_login_then_saves_and_queues_a_backfill(api_for, create_payload, role):
    api = api_for(role)

    response = api.post("/api/v1/clients", create_payload())

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "Trattoria Uno" and body["feedback_total"] == 42
    assert "pulseback_password" not in body
    location = Location.objects.get(client_id=body["id"])
    assert location.name == "Centro" and location.access_token  # the test sign-in's session is kept
    assert SyncRun.objects.get(location=location).kind == SyncKind.BACKFILL


def test_create_with_a_wrong_login_is_400_naming_the_field(api_for, create_payload):
    api = api_for(Role.OWNER)

    response = api.post("/api/v1/clients", create_payload(pulseback_password="wrong-password"))

    assert response.status_code == 400
    assert "pulseback_password" in response.json()["fields"]
    assert not Client.objects.filter(name="Trattoria Uno").exists()


def test_a_client_viewer_cannot_create(api_for, clients_two, create_payload):
    api = api_for(Role.CLIENT_VIEWER, client=clients_two[0])

    assert api.post("/api/v1/clients", create_payload()).status_code == 403


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"report_recipients": ["not-an-email"]}, "report_recipients"),
        ({"pulseback_email": 5}, "pulseback_email"),
        ({"surprise": 1}, "surprise"),
        ({"api_url": "ftp://x"}, "api_url"),
    ],
)
def test_create_with_bad_input_is_400_naming_the_field(api_for, create_payload, payload, field):
    response = api_for(Role.OWNER).post("/api/v1/clients", create_payload(**payload))

    assert response.status_code == 400
    assert field in response.json()["fields"]


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '"text"', "null"])
def test_malformed_or_non_object_json_is_400(api_for, body):
    response = api_for(Role.OWNER).post("/api/v1/clients", raw_body=body)

    assert response.status_code == 400
    assert response.json()["message"]


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_patch_changes_the_client(api_for, clients_two, role):
    api = api_for(role)

    response = api.patch(
        f"/api/v1/clients/{clients_two[0].pk}", {"name": "Bistro Vert", "timezone": "Europe/Paris"}
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Bistro Vert"
    clients_two[0].refresh_from_db()
    assert clients_two[0].timezone == "Europe/Paris"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"timezone": "Nowhere"}, "timezone"),
        ({"name": None}, "name"),
        ({"id": 3}, "id"),
        ({"notes": []}, "notes"),
    ],
)
def test_patch_with_bad_input_is_400_naming_the_field(api_for, clients_two, payload, field):
    response = api_for(Role.OWNER).patch(f"/api/v1/clients/{clients_two[0].pk}", payload)

    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_a_client_viewer_cannot_patch_its_client(api_for, clients_two):
    api = api_for(Role.CLIENT_VIEWER, client=clients_two[0])

    assert api.patch(f"/api/v1/clients/{clients_two[0].pk}", {"name": "x"}).status_code == 403


@pytest.mark.parametrize(("role", "status"), [(Role.OWNER, 204), (Role.ADMIN, 204), (Role.STAFF, 403)])
def test_delete_is_for_owners_and_admins(api_for, clients_two, role, status):
    response = api_for(role).delete(f"/api/v1/clients/{clients_two[0].pk}")

    assert response.status_code == status
    assert Client.objects.filter(pk=clients_two[0].pk).exists() == (status != 204)


def test_delete_of_another_agencys_client_is_404(agency, other_agency, owner):
    connection.set_tenant(other_agency)
    theirs = Client.objects.create(name="Theirs")
    connection.set_tenant(agency)
    _t, raw = api_token_create(user=owner, name="t", scope="write")

    assert Api(agency, raw).delete(f"/api/v1/clients/{theirs.pk}").status_code == 404


def test_create_while_pulseback_is_down_is_503_and_saves_nothing(api_for, create_payload, sandbox):
    payload = create_payload()
    sandbox.set_faults(auth_5xx_next=10)

    response = api_for(Role.OWNER).post("/api/v1/clients", payload)

    assert response.status_code == 503 and response.json()["message"]
    assert not Client.objects.filter(name="Trattoria Uno").exists()


def test_a_new_time_zone_moves_the_daily_roll_ups(api_for, agency):
    location = LocationFactory(client__timezone="UTC")
    FeedbackFactory(location=location, created_at=datetime(2026, 9, 12, 23, 30, tzinfo=UTC))
    rollup(location.client)
    assert list(FeedbackDaily.objects.values_list("day", flat=True)) == [date(2026, 9, 12)]

    response = api_for().patch(f"/api/v1/clients/{location.client_id}", {"timezone": "Asia/Tokyo"})

    assert response.status_code == 200
    assert list(FeedbackDaily.objects.values_list("day", flat=True)) == [date(2026, 9, 13)]


def test_a_staff_write_token_may_not_add_clients_or_change_report_recipients(
    api_for, clients_two, create_payload
):
    """As in the portal, where adding and editing clients is for owners and admins."""
    api = api_for(Role.STAFF)

    created = api.post("/api/v1/clients", create_payload())
    changed = api.patch(f"/api/v1/clients/{clients_two[0].pk}", {"report_recipients": ["spy@evil.example"]})

    assert (created.status_code, changed.status_code) == (403, 403)
    assert "owners and admins" in created.json()["message"]
    clients_two[0].refresh_from_db()
    assert clients_two[0].report_recipients != ["spy@evil.example"]

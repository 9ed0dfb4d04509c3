"""Adding a location to a client, and replacing a location's PulseBack login."""

from agency.team.models import AuditEvent, Role
from clients.models import ConnectionState, Location, SyncRun
from tests.conftest import SANDBOX_PASSWORD, host_client
from tests.factories import LocationFactory


def test_manager_adds_a_location_and_its_backfill_is_queued(agency, owner, sandbox_login):
    client = LocationFactory().client
    login = sandbox_login(items=3)

    response = host_client(agency, user=owner).post(f"/clients/{client.pk}/locations/new/", {
        "name": "Harbour", **login})  # fmt: skip

    assert response.status_code == 302
    location = client.locations.get(name="Harbour")
    assert SyncRun.objects.filter(location=location, kind="backfill").exists()
    assert AuditEvent.objects.filter(action="location.added").exists()


def test_replacing_a_login_drops_the_old_session_and_never_shows_the_password(agency, owner, sandbox_login):
    login = sandbox_login(items=3)
    endpoints = {key: login[key] for key in ("api_url", "auth_url", "anon_key")}
    location = LocationFactory(
        state=ConnectionState.INVALID_CREDENTIALS, access_token="old-token", **endpoints
    )
    web = host_client(agency, user=owner)
    page = web.get(f"/clients/{location.client_id}/locations/{location.pk}/login/").content.decode()
    assert "secret-password" not in page

    web.post(f"/clients/{location.client_id}/locations/{location.pk}/login/", {
        "pulseback_email": login["pulseback_email"], "pulseback_password": SANDBOX_PASSWORD})  # fmt: skip

    location.refresh_from_db()
    assert (location.pulseback_email, location.state, location.access_token) == (
        login["pulseback_email"], ConnectionState.PENDING, None)  # fmt: skip
    assert location.pulseback_password.reveal() == SANDBOX_PASSWORD
    assert AuditEvent.objects.get(action="location.credentials_replaced").actor_label == owner.email


def test_a_bad_login_form_says_what_is_wrong(agency, owner):
    location = LocationFactory()

    response = host_client(agency, user=owner).post(
        f"/clients/{location.client_id}/locations/{location.pk}/login/", {"pulseback_email": "nope"}
    )

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"pulseback_email", "pulseback_password"}


def test_staff_and_viewers_may_not(agency, make_user, viewer_of):
    location = LocationFactory()
    for user in (make_user(Role.STAFF), viewer_of(location.client)):
        web = host_client(agency, user=user)
        assert web.get(f"/clients/{location.client_id}/locations/new/").status_code == 403
        assert web.get(f"/clients/{location.client_id}/locations/{location.pk}/login/").status_code == 403
    assert Location.objects.count() == 1

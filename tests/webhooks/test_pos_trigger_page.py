"""The point-of-sale trigger in the portal: URL and secret (shown once), rotation, latest orders."""

from agency.team.models import Role
from clients.integrations.models import PosTrigger
from tests.conftest import host_client
from tests.factories import LocationFactory


def test_manager_creates_the_trigger_and_sees_the_secret_once(agency, owner):
    location = LocationFactory()
    url = f"/clients/{location.client_id}/locations/{location.pk}/pos/"
    web = host_client(agency, user=owner)

    created = web.post(url, {"starting_rating": "4", "is_enabled": "on", "action": "save"}).content.decode()

    trigger = PosTrigger.objects.get(location=location)
    assert trigger.starting_rating == 4
    assert f"http://alpha.localhost/hooks/pos/{trigger.key}/" in created
    assert trigger.secret.reveal() in created
    assert trigger.secret.reveal() not in web.get(url).content.decode()  # shown once

    rotated = web.post(url, {"starting_rating": "4", "is_enabled": "on", "action": "rotate"}).content.decode()
    old = trigger.secret.reveal()
    trigger.refresh_from_db()
    assert trigger.secret.reveal() != old and trigger.secret.reveal() in rotated


def test_staff_and_viewers_may_not(agency, make_user, viewer_of):
    location = LocationFactory()
    url = f"/clients/{location.client_id}/locations/{location.pk}/pos/"
    for user in (make_user(Role.STAFF), viewer_of(location.client)):
        assert host_client(agency, user=user).post(url, {"starting_rating": "5"}).status_code == 403
    assert not PosTrigger.objects.exists()

"""The business owner connects their own PulseBack login through a link; the agency never sees it."""

from datetime import timedelta

import time_machine
from django.core import mail
from django.utils import timezone

from agency.team.models import AuditEvent, ConnectInvitation, Role
from clients.models import Location, SyncRun
from tests.conftest import SANDBOX_PASSWORD, host_client
from tests.factories import ClientFactory


def ask(agency, owner, client, sandbox_server, capture):
    with capture(execute=True):
        host_client(agency, user=owner).post(f"/clients/{client.pk}/ask-login/", {
            "email": "ana@bistro.example", "location_name": "Main Street", "api_url": sandbox_server.api_url,
            "auth_url": sandbox_server.auth_url, "anon_key": sandbox_server.anon_key,
        })  # fmt: skip
    link = next(word for word in mail.outbox[-1].body.split() if "/connect/" in word)
    return link.split("alpha.localhost", 1)[1]


def test_owner_connects_their_login_and_a_backfill_is_queued(
    agency, owner, sandbox_server, sandbox_account, django_capture_on_commit_callbacks
):
    client = ClientFactory(name="Bistro Verde")
    path = ask(agency, owner, client, sandbox_server, django_capture_on_commit_callbacks)
    email = sandbox_account(items=5)
    visitor = host_client(agency)
    assert b"cannot see it" in visitor.get(path).content

    response = visitor.post(path, {"pulseback_email": email, "pulseback_password": SANDBOX_PASSWORD})

    assert b"you are connected" in response.content
    location = Location.objects.get(client=client)
    assert (location.name, location.pulseback_email) == ("Main Street", email)
    assert location.pulseback_password.reveal() == SANDBOX_PASSWORD
    assert SyncRun.objects.filter(location=location).exists()
    assert host_client(agency).get(path).status_code == 404  # single use
    assert AuditEvent.objects.filter(action="location.connected_by_owner").exists()


def test_a_wrong_password_says_so_and_saves_nothing(
    agency, owner, sandbox_server, sandbox_account, django_capture_on_commit_callbacks
):
    client = ClientFactory()
    path = ask(agency, owner, client, sandbox_server, django_capture_on_commit_callbacks)

    response = host_client(agency).post(path, {"pulseback_email": sandbox_account(items=1),
                                               "pulseback_password": "wrong"})  # fmt: skip

    assert "PulseBack refused this email and password." in response.content.decode()
    assert not Location.objects.exists()
    assert ConnectInvitation.objects.get().used_at is None


def test_an_expired_link_is_refused(agency, owner, sandbox_server, django_capture_on_commit_callbacks):
    path = ask(agency, owner, ClientFactory(), sandbox_server, django_capture_on_commit_callbacks)

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert host_client(agency).get(path).status_code == 404


def test_staff_cannot_send_such_links(agency, make_user):
    client = ClientFactory()
    response = host_client(agency, user=make_user(Role.STAFF)).post(
        f"/clients/{client.pk}/ask-login/", {"email": "a@b.example"}
    )
    assert response.status_code == 403

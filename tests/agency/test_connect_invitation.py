"""The business owner connects their own PulseBack login through a link; the agency never sees it."""

from datetime import timedelta

import time_machine
from django.core import mail
from django.utils import timezone

from agency.team.models import AuditEvent, ConnectInvitation, Role
from clients.auth_budget import auth_budget_take
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


def _wrong(visitor, path, email, address="203.0.113.40"):
    return visitor.post(path, {"pulseback_email": email, "pulseback_password": "wrong"}, REMOTE_ADDR=address)


def test_five_wrong_passwords_spend_the_link(
    agency, owner, sandbox_server, sandbox_account, django_capture_on_commit_callbacks
):
    path = ask(
        agency, owner, ClientFactory(name="Bistro Verde"), sandbox_server, django_capture_on_commit_callbacks
    )
    email = sandbox_account(items=1)
    visitor = host_client(agency)
    start = timezone.now()
    answers = []
    for attempt in range(5):
        with time_machine.travel(start + timedelta(minutes=2 * attempt), tick=False):
            answers.append(_wrong(visitor, path, email))

    assert [answer.status_code for answer in answers] == [200, 200, 200, 200, 410]
    assert "1 more wrong password and this link stops working" in answers[3].content.decode()
    spent = answers[4].content.decode()
    assert "typed on it too many times" in spent and "ask Alpha Agency to send you a new link" in spent
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        assert visitor.get(path).status_code == 410  # even with the right password now
        right = visitor.post(path, {"pulseback_email": email, "pulseback_password": SANDBOX_PASSWORD})
    assert right.status_code == 410 and not Location.objects.exists()
    assert AuditEvent.objects.filter(action="location.connect_link_spent", target="Bistro Verde").count() == 1


def test_a_burst_of_wrong_passwords_signs_in_once_a_minute_and_spares_the_agency_budget(
    agency, owner, sandbox, sandbox_server, sandbox_account, django_capture_on_commit_callbacks
):
    path = ask(agency, owner, ClientFactory(), sandbox_server, django_capture_on_commit_callbacks)
    email = sandbox_account(items=1)

    answers = [_wrong(host_client(agency), path, email, address=f"203.0.113.{n}") for n in range(12)]

    assert answers[0].status_code == 200
    assert {answer.status_code for answer in answers[1:]} == {429}
    assert "Please wait a minute" in answers[1].content.decode()
    assert sandbox.get_stats(email)["sign_in_failures"] == 1
    for _ in range(9):  # the agency's own "Test connection" still has its share of the minute
        auth_budget_take()


def test_attempts_are_limited_per_address(
    agency, owner, sandbox_server, sandbox_account, django_capture_on_commit_callbacks, settings
):
    settings.CONNECT_ATTEMPTS_PER_ADDRESS_PER_HOUR = 3
    path = ask(agency, owner, ClientFactory(), sandbox_server, django_capture_on_commit_callbacks)
    email = sandbox_account(items=1)
    start = timezone.now().replace(minute=0, second=5)
    answers = []
    for attempt in range(4):
        with time_machine.travel(start + timedelta(minutes=2 * attempt), tick=False):
            answers.append(_wrong(host_client(agency), path, email))

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert "Too many attempts from your network" in answers[3].content.decode()

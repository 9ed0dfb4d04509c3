"""Sensitive actions ask for the password again (and the code when two-factor is on) when the last
proof is older than RECENT_AUTH_SECONDS: replacing a PulseBack login, creating an API token,
changing two-factor, removing a client, changing the team."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from agency.api.models import ApiToken
from agency.team.models import Role, User
from clients.models import Client
from tests.conftest import PASSWORD, host_client
from tests.factories import LocationFactory
from tests.security.conftest import app_code, sign_in

LATER = timedelta(minutes=11)


@pytest.fixture
def stale(agency, owner):
    """The owner, signed in 11 minutes ago."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        web = host_client(agency)
        sign_in(web, owner.email)
    traveller = time_machine.travel(start + LATER, tick=False)
    traveller.start()
    yield web
    traveller.stop()


def _pages(location):
    client = location.client.pk
    return [
        f"/clients/{client}/locations/{location.pk}/login/",
        f"/clients/{client}/remove/",
        "/settings/security/two-factor/",
    ]


def test_fresh_after_sign_in_stale_ten_minutes_later(agency, owner, stale):
    location = LocationFactory()

    for page in _pages(location):
        answer = stale.get(page)
        assert answer.status_code == 302, page
        assert answer["Location"].startswith("/settings/security/confirm/?next="), page


def test_confirming_the_password_opens_them_again(agency, owner, stale):
    location = LocationFactory()
    target = _pages(location)[0]

    confirmed = stale.post("/settings/security/confirm/", {"password": PASSWORD, "next": target})

    assert confirmed["Location"] == target
    assert stale.get(target).status_code == 200


def test_with_two_factor_the_code_is_asked_too(agency, owner, enrolled):
    device = enrolled(owner)
    start = timezone.now()
    web = host_client(agency)
    with time_machine.travel(start, tick=False):
        sign_in(web, owner.email)
        web.post("/login/code/", {"code": app_code(device)})
    with time_machine.travel(start + LATER, tick=False):
        page = web.get("/settings/security/confirm/?next=/").content.decode()
        without = web.post(
            "/settings/security/confirm/", {"password": PASSWORD, "code": "000000", "next": "/"}
        )
    with time_machine.travel(start + LATER + timedelta(seconds=5), tick=False):
        right = web.post(
            "/settings/security/confirm/", {"password": PASSWORD, "code": app_code(device), "next": "/"}
        )

    assert "Code from your authenticator app" in page
    assert "That code did not work" in without.content.decode()
    assert right["Location"] == "/"


def test_a_wrong_password_here_counts_towards_the_lockout(agency, owner, stale):
    for _ in range(5):
        answer = stale.post("/settings/security/confirm/", {"password": "guess", "next": "/"})

    assert answer.status_code == 429
    assert "_auth_user_id" not in stale.session


def test_stale_posts_change_nothing(agency, owner, make_user, stale):
    staff = make_user(Role.STAFF)
    client = Client.objects.create(name="Keep me")

    answers = [
        stale.post(f"/clients/{client.pk}/remove/"),
        stale.post("/settings/api-tokens/", {"name": "Zapier", "scope": "write"}),
        stale.post("/team/", {"email": "new@alpha.test", "role": "staff"}),
        stale.post(f"/team/{staff.pk}/role/", {"role": "admin"}),
        stale.post(f"/team/{staff.pk}/remove/"),
    ]

    assert all(answer["Location"].startswith("/settings/security/confirm/") for answer in answers)
    assert Client.objects.filter(pk=client.pk).exists()
    assert not ApiToken.objects.exists()
    assert User.objects.get(pk=staff.pk).role == Role.STAFF
    assert stale.get("/settings/api-tokens/").status_code == 200  # the list itself stays open

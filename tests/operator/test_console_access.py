"""The operator console opens only for platform staff whose session passed the second factor: not
for strangers, not for an agency's owner, not for staff who only typed their password. Its
actions (all POST) change nothing for them either."""

import pytest
from django.db import connection
from django.urls import reverse

from agency.models import Agency, OperatorEvent, Plan
from agency.team.models import User
from tests.conftest import PASSWORD, host_client
from tests.operator.conftest import console_client, public_user

PAGES = [
    ("operator:agencies", {}),
    ("operator:agency", {"slug": "alpha"}),
    ("operator:plans", {}),
    ("operator:plan", {"pk": "plan"}),
    ("operator:audit", {}),
    ("operator:deletions", {}),
]
ACTIONS = [
    ("plan", {}),
    ("suspend", {"reason": "unpaid"}),
    ("resume", {}),
    ("measure", {}),
    ("export", {}),
    ("delete", {"confirm": "alpha"}),
    ("cancel-deletion", {}),
]


def _url(name, kwargs, plan):
    return reverse(
        name,
        urlconf="agency.urls_public",
        kwargs={k: plan.pk if v == "plan" else v for k, v in kwargs.items()},
    )


@pytest.fixture
def plan(db):
    connection.set_schema_to_public()
    return Plan.objects.create(name="Starter", max_clients=10)


@pytest.fixture
def visitors(db):
    connection.set_schema_to_public()
    agency_owner = host_client(Agency.objects.get(slug="alpha"))
    connection.set_tenant(Agency.objects.get(slug="alpha"))
    owner = User.objects.get(email="owner@alpha.test")
    agency_owner.force_login(owner)  # signed in on the agency's domain, then comes to the console
    agency_owner.defaults["HTTP_HOST"] = "localhost"
    connection.set_schema_to_public()
    return {
        "anonymous": host_client("localhost"),
        "agency owner": agency_owner,
        "public user, not staff": console_client(
            public_user("someone@platform.test", staff=False), verified=True
        ),
        "staff without a second factor": console_client(public_user("staff@platform.test"), verified=False),
    }


def _refused(visitor, response):
    """Strangers are sent to sign in; staff without a verified code to pass it; others get 403."""
    if response.status_code == 403:
        return visitor != "anonymous"
    if response.status_code != 302:
        return False
    location = response["Location"]
    if visitor in ("anonymous", "agency owner"):
        return location.startswith(reverse("login", urlconf="agency.urls_public"))
    return "/operator/" not in location.split("?")[0]


@pytest.mark.parametrize(
    "visitor", ["anonymous", "agency owner", "public user, not staff", "staff without a second factor"]
)
def test_the_console_is_closed_to(visitor, visitors, plan):
    web = visitors[visitor]
    for name, kwargs in PAGES:
        response = web.get(_url(name, kwargs, plan))
        assert _refused(visitor, response), f"{name}: {response.status_code} {response.get('Location')}"
        assert b"Alpha Agency" not in response.content
    for action, data in ACTIONS:
        url = reverse(
            "operator:agency_action", urlconf="agency.urls_public", kwargs={"slug": "alpha", "action": action}
        )
        assert _refused(visitor, web.post(url, data)), action
    connection.set_schema_to_public()
    assert not OperatorEvent.objects.exists()
    assert Agency.objects.get(slug="alpha").suspended_at is None


def test_verified_staff_open_every_page(console, plan):
    for name, kwargs in PAGES:
        response = console.get(_url(name, kwargs, plan))
        assert response.status_code == 200, name
    assert b"Alpha Agency" in console.get("/operator/").content


def test_actions_are_post_only_and_known(console):
    assert console.get("/operator/agencies/alpha/suspend/").status_code == 405
    assert console.post("/operator/agencies/alpha/explode/").status_code == 404
    assert console.post("/operator/agencies/nobody/suspend/").status_code == 404
    connection.set_schema_to_public()
    assert Agency.objects.get(slug="alpha").suspended_at is None


def test_the_console_is_not_on_agency_domains(agency, owner):
    assert host_client(agency, user=owner).get("/operator/").status_code == 404


def test_the_password_alone_does_not_open_it(db):
    staff = public_user("staff@platform.test")
    web = host_client("localhost")
    signed_in = web.post("/login/", {"username": staff.email, "password": PASSWORD})
    assert signed_in.status_code == 302
    assert web.get("/operator/").status_code in (302, 403)

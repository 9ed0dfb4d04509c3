"""Plan limits hold on every path that adds what they limit (the portal, the API, the bulk import, the
commands), with one message: which limit, and how to raise it. The operator edits plans and moves
agencies between them, and the limits follow."""

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from agency.models import Agency, OperatorEvent, Plan
from agency.team.models import Invitation, Role
from clients.bulk_import import COLUMNS
from clients.models import Client, Location
from tests.conftest import SANDBOX_PASSWORD, host_client
from tests.factories import ClientFactory

CLIENTS_FULL = (
    "The Starter plan allows 1 client, and Alpha Agency has 1. "
    "To add more, ask the platform operator to move Alpha Agency to a larger plan."
)


@pytest.fixture
def on_plan(agency):
    """Put agency alpha on a plan with these limits (the connection stays in alpha's schema)."""

    def put(**limits):
        plan = Plan.objects.create(name="Starter", **limits)
        Agency.objects.filter(pk=agency.pk).update(plan=plan)
        return plan

    return put


def _page_text(response):
    return html.unescape(response.content.decode())


def test_portal(agency, owner, on_plan, sandbox_login):
    on_plan(max_clients=1)
    ClientFactory()

    page = host_client(agency, user=owner).post(
        "/clients/new/", {"name": "Lakeside", "timezone": "UTC", **sandbox_login(), "action": "save"}
    )

    assert page.status_code == 200
    assert CLIENTS_FULL in _page_text(page)
    assert Client.objects.count() == 1


def test_api(agency, on_plan, api_for, sandbox_login):
    on_plan(max_clients=1)
    ClientFactory()

    response = api_for(Role.OWNER).post("/api/v1/clients", {"name": "Lakeside", **sandbox_login()})

    assert response.status_code == 400
    assert response.json()["fields"] == {"plan": [CLIENTS_FULL]}
    assert Client.objects.count() == 1


def test_bulk_import_imports_nothing(agency, owner, on_plan, sandbox_server):
    on_plan(max_clients=1)
    ClientFactory()
    s = sandbox_server
    rows = [
        f"{name},,UTC,,{name.lower()}@sb.test,{SANDBOX_PASSWORD},,{s.api_url},{s.auth_url},{s.anon_key}"
        for name in ("Lakeside", "Harbour")
    ]
    upload = SimpleUploadedFile(
        "c.csv", "\n".join([",".join(COLUMNS), *rows]).encode(), content_type="text/csv"
    )
    web = host_client(agency, user=owner)
    web.post("/clients/import/", {"file": upload})

    done = web.post("/clients/import/", {"action": "confirm"}, follow=True)

    assert f"Nothing was imported. {CLIENTS_FULL}" in _page_text(done)
    assert Client.objects.count() == 1


def test_command(agency, on_plan, sandbox_login):
    on_plan(max_clients=1)
    ClientFactory()
    login = sandbox_login()

    with pytest.raises(CommandError) as refused:
        call_command(
            "add_client",
            "--agency=alpha",
            "--name=Lakeside",
            f"--pulseback-email={login['pulseback_email']}",
            f"--pulseback-password={SANDBOX_PASSWORD}",
            f"--api-url={login['api_url']}",
            f"--auth-url={login['auth_url']}",
            f"--anon-key={login['anon_key']}",
        )

    assert CLIENTS_FULL in str(refused.value)
    connection.set_tenant(agency)
    assert Client.objects.count() == 1


def test_locations_of_an_existing_client(agency, owner, on_plan, sandbox_login):
    on_plan(max_locations=1)
    client = ClientFactory()
    Location.objects.create(client=client, name="Main", pulseback_email="a@sb.test", pulseback_password="x")

    page = host_client(agency, user=owner).post(
        f"/clients/{client.pk}/locations/new/", {"name": "Harbour", **sandbox_login()}
    )

    assert (
        "The Starter plan allows 1 location, and Alpha Agency has 1. "
        "To add more, ask the platform operator to move Alpha Agency to a larger plan."
    ) in _page_text(page)
    assert client.locations.count() == 1


def test_team_members_count_invitations_but_not_client_viewers(agency, owner, on_plan, make_user):
    on_plan(max_members=2)
    make_user(Role.CLIENT_VIEWER)
    web = host_client(agency, user=owner)
    web.post("/team/", {"email": "second@alpha.test", "role": Role.STAFF})
    assert Invitation.objects.filter(email="second@alpha.test").exists()

    page = web.post("/team/", {"email": "third@alpha.test", "role": Role.STAFF})

    assert "The Starter plan allows 2 team members, and Alpha Agency has 2." in _page_text(page)
    assert not Invitation.objects.filter(email="third@alpha.test").exists()
    web.post(
        "/team/", {"email": "second@alpha.test", "role": Role.ADMIN}
    )  # sending it again is no new member
    assert Invitation.objects.pending().get(email="second@alpha.test").role == Role.ADMIN


def test_the_api_rate_of_the_plan_counts_every_token_together(agency, on_plan, api_for, make_user):
    on_plan(api_requests_per_minute=3)
    first, second = api_for(Role.OWNER), api_for(Role.ADMIN)
    assert [api.get("/api/v1/clients").status_code for api in (first, second, first)] == [200, 200, 200]

    refused = second.get("/api/v1/clients")

    assert refused.status_code == 429
    message = refused.json()["message"]
    assert message.startswith("The Starter plan allows 3 API requests a minute (all of Alpha Agency's tokens")
    assert message.endswith("or ask the platform operator to move Alpha Agency to a larger plan.")
    assert int(refused["Retry-After"]) <= 60
    assert refused["X-RateLimit-Remaining"] == "0"


def test_agencies_without_a_plan_have_the_default_plan(agency, owner, sandbox_login):
    Plan.objects.create(name="Free", max_clients=1, is_default=True)
    ClientFactory()

    page = host_client(agency, user=owner).post(
        "/clients/new/", {"name": "Lakeside", "timezone": "UTC", **sandbox_login(), "action": "save"}
    )

    assert "The Free plan allows 1 client, and Alpha Agency has 1." in _page_text(page)


def test_the_operator_raises_the_limit_and_the_agency_adds_again(
    agency, owner, on_plan, console, sandbox_login
):
    connection.set_tenant(agency)
    plan = on_plan(max_clients=1)
    ClientFactory()
    connection.set_schema_to_public()
    growth = Plan.objects.create(name="Growth", max_clients=50)

    console.post("/operator/agencies/alpha/plan/", {"plan": growth.pk})
    console.post(f"/operator/plans/{plan.pk}/", {"name": "Starter", "max_clients": 5})

    connection.set_tenant(agency)
    added = host_client(agency, user=owner).post(
        "/clients/new/", {"name": "Lakeside", "timezone": "UTC", **sandbox_login(), "action": "save"}
    )
    assert added.status_code == 302
    connection.set_schema_to_public()
    assert Agency.objects.get(slug="alpha").plan == growth
    assert Plan.objects.get(pk=plan.pk).max_clients == 5
    assert list(OperatorEvent.objects.order_by("at").values_list("action", "target")) == [
        ("agency.plan_changed", "Alpha Agency"),
        ("plan.updated", "Starter"),
    ]


def test_one_default_plan(console):
    console.post("/operator/plans/", {"name": "Free", "max_clients": 1, "is_default": "on"})
    console.post("/operator/plans/", {"name": "Pro", "max_clients": 100, "is_default": "on"})

    connection.set_schema_to_public()
    assert list(Plan.objects.filter(is_default=True).values_list("name", flat=True)) == ["Pro"]

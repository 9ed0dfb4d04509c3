"""A user of agency A can never log in, or see anything, on agency B's domain."""

from django.db import connection

from tests.conftest import PASSWORD, host_client


def test_owner_logs_in_on_own_domain(agency, owner):
    client = host_client(agency)

    response = client.post("/login/", {"username": owner.email, "password": PASSWORD})

    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert b"Alpha Agency" in page.content


def test_login_of_agency_a_fails_on_agency_b(agency, other_agency, owner):
    connection.set_schema_to_public()
    client = host_client(other_agency)

    response = client.post("/login/", {"username": owner.email, "password": PASSWORD})

    assert response.status_code == 200
    assert "Please enter a correct" in " ".join(response.context["form"].non_field_errors())


def test_session_of_agency_a_is_unknown_on_agency_b(agency, other_agency, owner):
    client = host_client(agency, user=owner)
    assert client.get("/").status_code == 200

    response = client.get("/", HTTP_HOST=other_agency.get_primary_domain().domain)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_unknown_host_is_not_found(db):
    assert host_client("nobody.localhost").get("/login/").status_code == 404


def test_anonymous_is_sent_to_login(agency):
    response = host_client(agency).get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"

from unittest import mock

import pytest
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from agency.models import Agency, Domain
from agency.services import agency_create
from agency.team.models import Role, User

GOOD = {
    "name": "Gamma Growth",
    "slug": "gamma",
    "owner_name": "Gia",
    "owner_email": "gia@gamma.test",
    "password1": "Sunflower-harbor-42",
    "password2": "Sunflower-harbor-42",
}


def _nothing_created(slug="gamma"):
    return (
        not Agency.objects.filter(slug=slug).exists()
        and not Domain.objects.filter(domain=f"{slug}.localhost").exists()
        and not schema_exists(Agency.schema_name_for(slug))
    )


def test_signup_creates_agency_schema_domain_and_owner(public_client):
    response = public_client.post("/signup/", GOOD)

    assert response.status_code == 302
    assert response["Location"] == "http://gamma.localhost/login/?welcome=1"
    agency = Agency.objects.get(slug="gamma")
    assert agency.name == "Gamma Growth"
    assert schema_exists("agency_gamma")
    assert agency.get_primary_domain().domain == "gamma.localhost"
    with schema_context("agency_gamma"):
        owner = User.objects.get()
        assert (owner.email, owner.role, owner.full_name) == ("gia@gamma.test", Role.OWNER, "Gia")
        assert owner.check_password("Sunflower-harbor-42")


def test_new_owner_can_log_in_on_the_new_domain(public_client, client):
    public_client.post("/signup/", GOOD)
    connection.set_schema_to_public()

    response = client.post(
        "/login/", {"username": "gia@gamma.test", "password": GOOD["password1"]}, HTTP_HOST="gamma.localhost"
    )

    assert response.status_code == 302
    assert client.get("/", HTTP_HOST="gamma.localhost").status_code == 200


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"slug": "alpha"}, "slug", "already taken"),
        ({"slug": "www"}, "slug", "reserved"),
        ({"slug": "admin"}, "slug", "reserved"),
        ({"slug": "Bad_Slug!"}, "slug", "lowercase letters"),
        ({"slug": "-gamma"}, "slug", "lowercase letters"),
        ({"slug": "ab"}, "slug", "3 to 40"),
        ({"owner_email": "not-an-email"}, "owner_email", "valid email"),
        ({"password1": "password", "password2": "password"}, "password1", "too common"),
        ({"password1": "Xy1!", "password2": "Xy1!"}, "password1", "too short"),
        ({"password2": "Something-else-99"}, "password2", "do not match"),
        ({"name": ""}, "name", "required"),
    ],
)
def test_signup_refuses_bad_input_and_creates_nothing(public_client, changes, field, message):
    agencies_before = Agency.objects.count()

    response = public_client.post("/signup/", {**GOOD, **changes})

    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message in errors
    slug = changes.get("slug", "gamma")
    if slug != "alpha":
        assert _nothing_created(slug if slug.isidentifier() else "gamma")
    assert Agency.objects.count() == agencies_before


def test_taken_domain_is_refused(agency):
    connection.set_schema_to_public()
    with pytest.raises(Exception) as excinfo:
        agency_create(
            slug="gamma",
            name="Gamma",
            domain="alpha.localhost",
            owner_email="gia@gamma.test",
            owner_password=GOOD["password1"],
        )
    assert "already in use" in str(excinfo.value)
    assert _nothing_created()


def test_failure_half_way_leaves_no_agency_domain_or_schema(db):
    with (
        mock.patch("agency.services.User.objects.create_user", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        agency_create(
            slug="gamma", name="Gamma", owner_email="gia@gamma.test", owner_password=GOOD["password1"]
        )
    connection.set_schema_to_public()

    assert _nothing_created()

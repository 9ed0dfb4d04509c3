"""Sign-up: nothing is created until the owner opens the link we email; then the workspace exists and
its owner is signed in on its own domain, on the "connect your first client" step."""

import re
from unittest import mock

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from agency import signup
from agency.forms import slug_suggest
from agency.models import Agency, Domain
from agency.services import agency_create
from agency.team.models import AuditEvent, Role, User
from tests.conftest import host_client

GOOD = {
    "name": "Gamma Growth",
    "slug": "gamma",
    "owner_name": "Gia",
    "owner_email": "Gia@Gamma.test",
    "password1": "Sunflower-harbor-42",
    "password2": "Sunflower-harbor-42",
}


def _nothing_created(slug="gamma"):
    return (
        not Agency.objects.filter(slug=slug).exists()
        and not Domain.objects.filter(domain=f"{slug}.localhost").exists()
        and not schema_exists(Agency.schema_name_for(slug))
    )


def _link(message):
    return re.search(r"http://localhost(/signup/verify/\S+/)", message.body).group(1)


def test_signing_up_only_sends_a_link(public_client):
    answer = public_client.post("/signup/", GOOD)

    assert answer.status_code == 200 and "Check your email" in answer.content.decode()
    (message,) = mail.outbox
    assert message.to == ["gia@gamma.test"]
    assert "gamma.localhost" in message.body and _link(message)
    assert _nothing_created()


def test_the_link_creates_the_workspace_and_signs_the_owner_in(public_client):
    public_client.post("/signup/", GOOD)
    link = _link(mail.outbox[0])
    page = public_client.get(link)
    assert "Create my workspace" in page.content.decode() and _nothing_created()
    assert "form-action 'self' http://gamma.localhost" in page["Content-Security-Policy"]

    created = public_client.post(link)

    assert created.status_code == 302
    handoff = created["Location"]
    assert handoff.startswith("http://gamma.localhost/welcome/")
    agency = Agency.objects.get(slug="gamma")
    assert agency.name == "Gamma Growth" and schema_exists("agency_gamma")
    with schema_context("agency_gamma"):
        owner = User.objects.get()
        assert (owner.email, owner.role, owner.full_name) == ("gia@gamma.test", Role.OWNER, "Gia")
        assert owner.check_password("Sunflower-harbor-42")  # the password chosen, only ever kept hashed
    connection.set_tenant(agency)
    browser = host_client(agency)
    landed = browser.get(handoff.split("gamma.localhost", 1)[1])
    assert landed["Location"] == "/clients/new/?first=1"
    assert browser.get("/clients/new/?first=1").status_code == 200  # signed in
    assert AuditEvent.objects.get(action="auth.signed_in").details["method"] == "email confirmed at sign-up"
    again = host_client(agency).get(handoff.split("gamma.localhost", 1)[1])
    assert again["Location"] == "/login/"  # the hand-over works once
    connection.set_schema_to_public()


def test_the_link_works_once(public_client):
    public_client.post("/signup/", GOOD)
    link = _link(mail.outbox[0])
    public_client.post(link)

    answer = public_client.post(link)

    assert answer.status_code == 404 and "no longer works" in answer.content.decode()


def test_an_unknown_or_expired_link_says_so(public_client):
    public_client.post("/signup/", GOOD)
    with schema_context("public"):
        cache.clear()

    answer = public_client.get(_link(mail.outbox[0]))

    assert answer.status_code == 404 and "no longer works" in answer.content.decode()


def test_an_address_taken_meanwhile_is_explained(public_client):
    public_client.post("/signup/", GOOD)
    public_client.post("/signup/", {**GOOD, "owner_email": "other@gamma.test"})
    first, second = (_link(message) for message in mail.outbox)
    public_client.post(first)

    answer = public_client.post(second)

    assert answer.status_code == 409 and "already taken" in answer.content.decode()


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
def test_bad_input_is_refused_each_problem_once_and_nothing_is_sent(public_client, changes, field, message):
    response = public_client.post("/signup/", {**GOOD, **changes})

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors.get(field, []))
    assert all(len(messages) == len(set(messages)) for messages in errors.values())
    assert set(errors) == {field}, errors  # a bad name says nothing redundant about the address
    assert mail.outbox == []


def test_the_address_is_made_from_the_name_when_left_blank(public_client):
    public_client.post("/signup/", {**GOOD, "name": "Café Söder & Co", "slug": ""})

    assert "cafe-soder-co.localhost" in mail.outbox[0].body
    assert slug_suggest("  42 Digital Éditions!! ") == "digital-editions"


def test_the_password_rules_are_shown_before_the_first_attempt(public_client):
    page = public_client.get("/signup/").content.decode()

    assert "at least 10 characters" in page and "commonly used password" in page
    assert 'src="/static/js/signup.js"' in page


def test_five_sign_ups_an_hour_per_address(public_client):
    answers = [
        public_client.post(
            "/signup/", {**GOOD, "slug": f"gamma-{n}"}, REMOTE_ADDR="198.51.100.20"
        ).status_code
        for n in range(6)
    ]
    other = public_client.post("/signup/", {**GOOD, "slug": "gamma-x"}, REMOTE_ADDR="198.51.100.21")

    assert answers == [200] * 5 + [429]
    assert len(mail.outbox) == 6  # five from the first address, one from the other
    assert other.status_code == 200
    refused = public_client.post("/signup/", GOOD, REMOTE_ADDR="198.51.100.20").content.decode()
    assert "Too many sign-ups from your network in the last hour. Try again in" in refused


def test_a_platform_wide_limit_holds_whatever_the_addresses(public_client, settings):
    settings.SIGNUP_PER_HOUR = 3
    answers = [
        public_client.post(
            "/signup/", {**GOOD, "slug": f"gamma-{n}"}, REMOTE_ADDR=f"198.51.100.{n}"
        ).status_code
        for n in range(4)
    ]

    assert answers == [200, 200, 200, 429]
    assert "unusual number of sign-ups" in public_client.post("/signup/", GOOD).content.decode()


def test_a_filled_honeypot_is_refused_with_a_message(public_client):
    answer = public_client.post("/signup/", {**GOOD, "leave_empty": "http://spam.example"})

    assert answer.status_code == 400
    assert "must stay empty" in answer.content.decode()
    assert mail.outbox == []


def test_the_honeypot_is_hidden_from_people(public_client):
    page = public_client.get("/signup/").content.decode()

    hidden_block = page.split("<div hidden>", 1)[1].split("</div>", 2)
    assert 'name="leave_empty"' in "".join(hidden_block[:2])


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


def test_failure_half_way_leaves_no_agency_domain_or_schema(public_client):
    public_client.post("/signup/", GOOD)
    with (
        mock.patch("agency.services.User.objects.create_user", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        signup.signup_confirm(token=_link(mail.outbox[0]).rsplit("/", 2)[1])
    connection.set_schema_to_public()

    assert _nothing_created()

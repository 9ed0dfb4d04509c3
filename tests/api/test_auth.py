"""Bearer tokens: hashed, scoped, revocable, and valid only on their own agency's domains."""

import pytest
from django.core.management import call_command
from django.db import connection

from agency.api.models import ApiToken, token_hash
from agency.api.services import api_token_create, api_token_revoke
from agency.team.models import Role
from tests.conftest import Api


def test_a_token_is_stored_hashed_and_works(agency, owner):
    token, raw = api_token_create(user=owner, name="Zapier", scope="read")

    assert raw.startswith("pbp_") and len(raw) > 40
    assert token.token_hash == token_hash(raw) and raw not in token.token_hash
    response = Api(agency, raw).get("/api/v1/clients")
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer nope", "Token abc", "Bearer a b"])
def test_missing_or_wrong_token_is_401_json(agency, header):
    api = Api(agency)
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = api.http.get("/api/v1/clients", **extra)

    assert response.status_code == 401
    assert response.json()["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "X-RateLimit-Remaining" in response


def test_a_revoked_token_is_401(agency, owner):
    token, raw = api_token_create(user=owner, name="old", scope="write")
    api_token_revoke(actor=None, token=token)

    assert Api(agency, raw).get("/api/v1/clients").status_code == 401


def test_a_removed_members_token_is_401(agency, make_user):
    user = make_user(Role.STAFF)
    _token, raw = api_token_create(user=user, name="t", scope="read")
    user.is_active = False
    user.save()

    assert Api(agency, raw).get("/api/v1/clients").status_code == 401


def test_agency_a_token_on_agency_b_domain_is_401(agency, other_agency, owner):
    _token, raw = api_token_create(user=owner, name="alpha", scope="write")

    assert Api(agency, raw).get("/api/v1/clients").status_code == 200
    assert Api(other_agency, raw).get("/api/v1/clients").status_code == 401
    connection.set_tenant(agency)


def test_a_read_token_cannot_write(agency, owner):
    _token, raw = api_token_create(user=owner, name="r", scope="read")

    response = Api(agency, raw).post("/api/v1/clients", {"name": "X"})

    assert response.status_code == 403
    assert response.json()["message"]


def test_a_client_viewer_cannot_have_a_write_token(agency, make_user):
    from django.core.exceptions import ValidationError

    viewer = make_user(Role.CLIENT_VIEWER)
    with pytest.raises(ValidationError):
        api_token_create(user=viewer, name="w", scope="write")


def test_create_api_token_command_prints_the_token_once(agency, owner, capsys):
    call_command("create_api_token", "--agency", "alpha", "--email", "owner@alpha.test", "--scope", "write")
    connection.set_tenant(agency)

    raw = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(token_hash=token_hash(raw))
    assert token.user == owner and token.scope == "write"
    assert Api(agency, raw).get("/api/v1/clients").status_code == 200


def test_create_api_token_command_refuses_unknown_agency_or_member(agency):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("create_api_token", "--agency", "nope", "--email", "owner@alpha.test")
    with pytest.raises(CommandError):
        call_command("create_api_token", "--agency", "alpha", "--email", "ghost@alpha.test")
    connection.set_tenant(agency)

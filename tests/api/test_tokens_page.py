"""The portal page where every member creates and revokes their own API tokens."""

import re

from agency.api.models import ApiToken
from agency.api.services import api_token_create
from agency.team.models import Role
from tests.conftest import host_client


def test_a_member_creates_a_token_shown_once(agency, make_user):
    staff = make_user(Role.STAFF)
    http = host_client(agency, staff)

    response = http.post("/settings/api-tokens/", {"name": "Zapier", "scope": "write"})

    assert response.status_code == 200
    raw = re.search(r'<code id="new-token">([^<]+)</code>', response.content.decode()).group(1)
    token = ApiToken.objects.get(user=staff)
    assert token.scope == "write" and raw.startswith(token.prefix)
    assert raw not in http.get("/settings/api-tokens/").content.decode()


def test_a_member_revokes_only_their_own_tokens(agency, make_user, owner):
    staff = make_user(Role.STAFF)
    mine, _ = api_token_create(user=staff, name="mine")
    theirs, _ = api_token_create(user=owner, name="theirs")
    http = host_client(agency, staff)

    assert http.post(f"/settings/api-tokens/{theirs.pk}/revoke/").status_code == 404
    assert http.post(f"/settings/api-tokens/{mine.pk}/revoke/").status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None


def test_a_client_viewer_gets_read_tokens_only(agency, make_user):
    viewer = make_user(Role.CLIENT_VIEWER)
    http = host_client(agency, viewer)

    response = http.post("/settings/api-tokens/", {"name": "x", "scope": "write"})

    assert response.status_code == 200
    assert not ApiToken.objects.filter(user=viewer).exists()


def test_strangers_are_sent_to_log_in(agency):
    response = host_client(agency).get("/settings/api-tokens/")

    assert response.status_code == 302 and "/login/" in response["Location"]

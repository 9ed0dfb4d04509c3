"""Every answer carries the token's rate-limit state; over the limit: 429 with Retry-After."""

from agency.api.services import api_token_create
from tests.conftest import Api


def test_headers_count_down_per_token_and_429_after_the_limit(agency, owner, settings):
    settings.API_RATE_LIMIT = 3
    _t1, raw1 = api_token_create(user=owner, name="one", scope="read")
    _t2, raw2 = api_token_create(user=owner, name="two", scope="read")
    api, other = Api(agency, raw1), Api(agency, raw2)

    remaining = [api.get("/api/v1/clients")["X-RateLimit-Remaining"] for _ in range(3)]
    over = api.get("/api/v1/clients")

    assert remaining == ["2", "1", "0"]
    assert over.status_code == 429
    assert over.json()["message"]
    assert 1 <= int(over["Retry-After"]) <= 60
    assert 1 <= int(over["X-RateLimit-Reset"]) <= 60
    assert other.get("/api/v1/clients").status_code == 200  # a token's limit is its own


def test_error_answers_carry_the_headers_too(agency, owner):
    _t, raw = api_token_create(user=owner, name="one", scope="read")

    response = Api(agency, raw).get("/api/v1/clients/999999")

    assert response.status_code == 404
    assert response["X-RateLimit-Remaining"] and response["X-RateLimit-Reset"]

"""The API always answers JSON: 400 for malformed, too deep or too large bodies, 503 when the
database, the broker or the cache is down, and the right status in JSON for anything else."""

from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client as HttpClient
from kombu.exceptions import OperationalError as BrokerDown
from redis.exceptions import ConnectionError as CacheDown

from agency.team.models import Role


def _json(response):
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.json()


def test_a_body_nested_100_kb_deep_is_a_400(api_for):
    body = "[" * 50_000 + "]" * 50_000

    response = api_for(Role.OWNER).post("/api/v1/clients", raw_body=body)

    assert response.status_code == 400
    assert "nested too deeply" in _json(response)["message"]


def test_a_3_mb_body_is_a_json_400(api_for):
    body = '{"name": "' + "x" * (3 * 1024 * 1024) + '"}'

    response = api_for(Role.OWNER).post("/api/v1/clients", raw_body=body)

    assert response.status_code == 400
    assert "too large" in _json(response)["message"]


def test_the_database_down_before_any_view_is_a_503(agency):
    http = HttpClient(HTTP_HOST="alpha.localhost", raise_request_exception=False)
    down = OperationalError("connection to server failed: Connection refused")

    with mock.patch("django_tenants.middleware.main.TenantMainMiddleware.get_tenant", side_effect=down):
        response = http.get("/api/v1/clients")

    assert response.status_code == 503 and response["Retry-After"]
    assert "temporarily unavailable" in _json(response)["message"]


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("clients.api.views.clients_visible_to", OperationalError("server closed the connection")),
        ("agency.api.throttling.window_hit", CacheDown("Connection refused")),
    ],
)
def test_the_database_or_cache_down_in_a_view_is_a_503(api_for, target, error):
    api = api_for(Role.OWNER)
    api.http = HttpClient(HTTP_HOST="alpha.localhost", raise_request_exception=False)

    with mock.patch(target, side_effect=error):
        response = api.get("/api/v1/clients")

    assert response.status_code == 503
    assert "temporarily unavailable" in _json(response)["message"]


def test_the_broker_down_is_a_503(api_for, clients_two):
    api = api_for(Role.OWNER)

    with mock.patch("clients.api.views.services.sync_queue", side_effect=BrokerDown("Error 111 connecting")):
        response = api.post(f"/api/v1/clients/{clients_two[0].pk}/sync")

    assert response.status_code == 503 and _json(response)["message"]


def test_an_unknown_domain_answers_json(db):
    response = HttpClient(HTTP_HOST="nobody.localhost").get("/api/v1/clients")

    assert response.status_code == 404 and _json(response) == {"message": "Not found."}


def test_an_unexpected_error_is_a_json_500(api_for):
    api = api_for(Role.OWNER)
    api.http = HttpClient(HTTP_HOST="alpha.localhost", raise_request_exception=False)

    with mock.patch("clients.api.views.clients_visible_to", side_effect=RuntimeError("bug")):
        response = api.get("/api/v1/clients")

    assert response.status_code == 500
    assert _json(response) == {"message": "Server error: it was logged, and we will look into it."}

"""The OpenAPI schema is generated from the code; the docs pages work offline (no CDN)."""

import yaml

from tests.conftest import host_client


def test_the_schema_lists_every_endpoint_with_bearer_auth(agency):
    response = host_client(agency).get("/api/v1/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = (
        response.json()
        if response["Content-Type"].startswith("application/vnd.oai.openapi+json")
        else yaml.safe_load(response.content)
    )
    assert schema["openapi"].startswith("3.")
    for path in [
        "/api/v1/clients", "/api/v1/clients/{id}", "/api/v1/clients/{id}/stats", "/api/v1/clients/{id}/sync",
        "/api/v1/clients/{id}/feedback", "/api/v1/feedback", "/api/v1/sync-runs/{id}", "/api/v1/webhooks",
        "/api/v1/webhooks/{id}/deliveries", "/api/v1/locations/{id}/pos-trigger",
    ]:  # fmt: skip
        assert path in schema["paths"], path
    assert schema["components"]["securitySchemes"]["ApiToken"]["scheme"] == "bearer"


def test_the_docs_pages_use_local_assets(agency):
    for page in ["/api/v1/docs", "/api/v1/redoc"]:
        response = host_client(agency).get(page)
        assert response.status_code == 200
        html = response.content.decode()
        assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html
        assert "/static/drf_spectacular_sidecar/" in html


def test_the_schema_and_docs_carry_the_rate_limit_headers_too(agency):
    response = host_client(agency).get("/api/v1/schema")

    assert response["X-RateLimit-Remaining"] and response["X-RateLimit-Reset"]


def test_unknown_api_addresses_are_json_404(agency):
    response = host_client(agency).get("/api/v1/nothing/here")

    assert response.status_code == 404 and response.json()["message"]

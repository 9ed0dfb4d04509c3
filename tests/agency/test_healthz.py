from unittest import mock

from django.db import OperationalError

from agency.celery import app as celery_app
from tests.conftest import host_client


def test_healthy_on_public_site_and_agency_domain(agency):
    for client in (host_client("localhost"), host_client(agency)):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json()["database"] == "ok"
        assert response.json()["broker"] == "ok"


def test_broker_down_is_503(db, tmp_path):
    real_broker = celery_app.conf.broker_url
    celery_app.conf.broker_url = f"redis+socket://{tmp_path}/gone.sock"
    try:
        response = host_client("localhost").get("/healthz")
    finally:
        celery_app.conf.broker_url = real_broker

    assert response.status_code == 503
    assert response.json()["broker"] == "unreachable"
    assert response.json()["database"] == "ok"


def test_database_down_is_503(db):
    with mock.patch("agency.health.connection.cursor", side_effect=OperationalError("server closed")):
        response = host_client("localhost").get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"

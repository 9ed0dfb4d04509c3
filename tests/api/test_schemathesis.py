"""Property-based run against the generated OpenAPI schema: no 5xx, every answer fits the schema.

Schema-violating requests are generated too: they must get a documented JSON
answer, never a 5xx. (Unknown query parameters are ignored by design, so the
check that every schema-violating request is refused is left out; so is the
check that every schema-valid one is accepted, for the few operations whose
input is also checked in ways a schema cannot say.)

A bounded number of examples per operation keeps it fast. The two calls that
would leave the machine are replaced: PulseBack's login check (creating a
client) and DNS resolution of webhook targets.
"""

import time

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from agency.api.services import api_token_create
from agency.webhooks import transport
from clients import onboarding
from clients.models import Client, Location
from clients.pulseback import Session

raw_schema = SchemaGenerator(urlconf="agency.urls").get_schema(request=None, public=True)
schema = schemathesis.openapi.from_dict(raw_schema)
schema.app = get_wsgi_application()


# Checks a schema cannot express (a PulseBack address, a webhook host that resolves, a report period
# that has ended) may refuse schema-valid input with a 400 naming the field.
SEMANTIC_CHECKS = {
    ("POST", "/api/v1/clients"),
    ("POST", "/api/v1/reports"),
    ("POST", "/api/v1/webhooks"),
    ("PATCH", "/api/v1/webhooks/{id}"),
}


@pytest.fixture
def api_token(agency, owner, settings, monkeypatch):
    """An owner's write token; objects with low ids so that some generated ids exist."""
    settings.API_RATE_LIMIT = 1_000_000
    session = Session(access_token="a", refresh_token="r", expires_at=int(time.time()) + 3600)
    monkeypatch.setattr(onboarding, "pulseback_connection_test", lambda **_: (session, 0))
    monkeypatch.setattr(transport, "target_resolve", lambda target: ["93.184.216.34"])
    client = Client.objects.create(name="Seed")
    Location.objects.create(client=client, name="Main", pulseback_email="s@biz.test", pulseback_password="pw")
    # The WSGI app must not close the test's connection (its transaction is rolled back at the end).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield api_token_create(user=owner, name="schemathesis", scope="write")[1]
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_server_error_and_answers_fit_the_schema(case, agency, api_token):
    excluded = [negative_data_rejection]
    if (case.method.upper(), case.path) in SEMANTIC_CHECKS:
        excluded.append(positive_data_acceptance)
    case.call_and_validate(
        base_url=f"http://{agency.get_primary_domain().domain}",
        headers={"Authorization": f"Bearer {api_token}"},
        excluded_checks=excluded,
    )

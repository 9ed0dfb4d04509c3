"""API test helpers: tokens for each role, a client on the agency's domain sending one."""

import pytest

from agency.api.services import api_token_create
from agency.team.models import Role
from clients.models import Client, Feedback, Location, ViewerAccess
from tests.conftest import host_client


class Api:
    """A test client on an agency's domain that sends a bearer token and JSON."""

    def __init__(self, agency, raw=None):
        self.http = host_client(agency)
        self.raw = raw

    def _headers(self):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.raw}"} if self.raw else {}

    def get(self, path, params=None):
        return self.http.get(path, params or {}, **self._headers())

    def post(self, path, data=None, raw_body=None):
        body = raw_body if raw_body is not None else _json(data if data is not None else {})
        return self.http.post(path, body, content_type="application/json", **self._headers())

    def patch(self, path, data=None, raw_body=None):
        body = raw_body if raw_body is not None else _json(data if data is not None else {})
        return self.http.patch(path, body, content_type="application/json", **self._headers())

    def delete(self, path):
        return self.http.delete(path, **self._headers())


def _json(data):
    import json

    return json.dumps(data)


@pytest.fixture
def clients_two(agency):
    """Two clients of agency A, each with one location and a few feedback items."""
    from django.utils import timezone

    made = []
    for index, name in enumerate(["Bistro Verde", "Café Rouge"]):
        client = Client.objects.create(name=name)
        location = Location.objects.create(
            client=client, name="Main", pulseback_email=f"l{index}@biz.test", pulseback_password="pw"
        )
        for n in range(3):
            Feedback.objects.create(
                location=location,
                client=client,
                pulseback_id=f"{name[:2]}-{n}",
                created_at=timezone.now() - timezone.timedelta(days=n),
                customer_name=f"Customer {n}",
                customer_email=f"c{n}@example.com",
                rating=n + 2,
                comment=f"comment {n} about {name}",
                sentiment=["negative", "neutral", "positive"][n],
                themes=["service"] if n else ["food quality"],
                status="new",
                source="widget" if n else "phone",
                raw={},
                content_hash="x",
            )
        made.append(client)
    return made


@pytest.fixture
def api_for(agency, make_user, owner):
    """``api_for(role, scope="write", client=None)``: an Api with a token of a new user of that role."""

    def make(role=Role.OWNER, scope="write", client=None):
        user = owner if role == Role.OWNER else make_user(role)
        if role == Role.CLIENT_VIEWER:
            ViewerAccess.objects.create(user=user, client=client)
            scope = "read"
        _token, raw = api_token_create(user=user, name="tests", scope=scope)
        return Api(agency, raw)

    return make


ALL_ROLES = [Role.OWNER, Role.ADMIN, Role.STAFF, Role.CLIENT_VIEWER]

"""Every API endpoint, called with every kind of token: each gets exactly what the same person gets in
the portal (tests/test_access_matrix.py checks the portal's pages the same way), and the README's
"API permissions" table says the same as ``ENDPOINTS``.

A new endpoint fails this test until it is given an access level here (and a row in the README).
"""

import re
from datetime import date
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.urls import get_resolver, reverse

from agency.api.services import api_token_create
from agency.team.models import Role, User
from agency.webhooks.models import WebhookEndpoint
from clients.integrations.models import PosOrder
from clients.integrations.services import pos_trigger_setup
from clients.models import SyncRun, ViewerAccess
from reports.models import Report, ReportState
from tests.access import MANAGER, MEMBER, WRITER
from tests.conftest import Api
from tests.factories import ClientFactory, FeedbackFactory, LocationFactory

README = Path(__file__).resolve().parents[2] / "README.md"
CLIENT, LOCATION = {"pk": "client"}, {"pk": "location"}
ITEM = {"location": "location", "feedback_id": "feedback_id"}

# (url name, method): (access, kwargs). MEMBER: every member, a client viewer only their client's;
# WRITER: not client viewers (and to write, a write token); MANAGER: owners and admins.
ENDPOINTS = {
    ("api-clients", "GET"): (MEMBER, {}),
    ("api-clients", "POST"): (MANAGER, {}),
    ("api-client", "GET"): (MEMBER, CLIENT),
    ("api-client", "PATCH"): (MANAGER, CLIENT),
    ("api-client", "DELETE"): (MANAGER, CLIENT),
    ("api-client-stats", "GET"): (MEMBER, CLIENT),
    ("api-client-sync", "POST"): (MANAGER, CLIENT),
    ("api-feedback", "GET"): (MEMBER, {}),
    ("api-sync-run", "GET"): (MEMBER, {"pk": "sync_run"}),
    ("api-client-feedback", "POST"): (WRITER, CLIENT),
    ("api-feedback-request", "GET"): (MEMBER, {"pk": "feedback_request"}),
    ("api-pos-trigger", "GET"): (MANAGER, LOCATION),
    ("api-pos-trigger", "POST"): (MANAGER, LOCATION),
    ("api-webhooks", "GET"): (MANAGER, {}),
    ("api-webhooks", "POST"): (MANAGER, {}),
    ("api-webhook", "GET"): (MANAGER, {"pk": "webhook"}),
    ("api-webhook", "PATCH"): (MANAGER, {"pk": "webhook"}),
    ("api-webhook", "DELETE"): (MANAGER, {"pk": "webhook"}),
    ("api-webhook-deliveries", "GET"): (MANAGER, {"pk": "webhook"}),
    ("api-reports", "POST"): (WRITER, {}),
    ("api-report", "GET"): (MEMBER, {"pk": "report"}),
    ("api-report-pdf", "GET"): (MEMBER, {"pk": "report"}),
    ("api-workflow-members", "GET"): (WRITER, {}),
    ("api-workflow-feedback", "GET"): (WRITER, {}),
    ("api-workflow-bulk", "POST"): (WRITER, {}),
    ("api-feedback-workflow", "GET"): (WRITER, ITEM),
    ("api-feedback-workflow", "PATCH"): (WRITER, ITEM),
    ("api-feedback-notes", "GET"): (WRITER, ITEM),
    ("api-feedback-notes", "POST"): (WRITER, ITEM),
}
SHARED = {"api-schema", "api-docs", "api-redoc", "api-not-found"}  # open to all, no data
VISITORS = ("no_token", "outsider", "own_viewer", "other_viewer", "staff_read", "staff", "admin", "owner")
WHO = {MEMBER: "every member", WRITER: "the team (not client viewers)", MANAGER: "owners and admins"}


def _walk(patterns, prefix=""):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def _api_routes():
    return {p.name: route for route, p in _walk(get_resolver("agency.urls").url_patterns) if p.name in
            {name for name, _ in ENDPOINTS} | SHARED or (p.name or "").startswith("api-")}  # fmt: skip


def _shown(route):
    """``api/v1/clients/<id:pk>`` as the README writes it: ``/api/v1/clients/{id}``."""
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "{id}" if m[1] == "pk" else "{" + m[1] + "}", route)


def test_every_api_endpoint_has_an_expected_access_level():
    named = {name for name in _api_routes() if name.startswith("api-")}

    assert named - {name for name, _ in ENDPOINTS} - SHARED == set()


def test_the_readme_table_says_the_same():
    rows = set(
        re.findall(
            r"^\| `(/api/v1/[^`]*)` \| (GET|POST|PATCH|DELETE) \| ([^|]+?) \|", README.read_text(), re.M
        )
    )
    routes = _api_routes()
    expected = {
        (_shown(routes[name]), method, WHO[access]) for (name, method), (access, _) in ENDPOINTS.items()
    }

    assert rows == expected


def _expected(access, method, visitor, kwargs):
    if visitor in ("no_token", "outsider"):
        return {401}
    viewer = visitor in ("own_viewer", "other_viewer")
    if method == "GET":
        if access == MEMBER:
            return {404} if visitor == "other_viewer" and kwargs else {200}
        if viewer or (access == MANAGER and visitor in ("staff_read", "staff")):
            return {403}
        return {200}
    if viewer or visitor == "staff_read" or (access == MANAGER and visitor == "staff"):
        return {403}
    return "allowed"


@pytest.fixture
def objects(agency, owner):
    location = LocationFactory(client__name="Bistro Verde", client__timezone="UTC")
    client = location.client
    report = Report.objects.create(
        client=client, start=date(2026, 9, 1), end=date(2026, 9, 30), state=ReportState.READY
    )
    report.pdf.save("r.pdf", ContentFile(b"%PDF-1.7"))
    feedback = FeedbackFactory(location=location)
    pos_trigger_setup(actor=owner, location=location)
    return {
        "client": client.pk,
        "location": location.pk,
        "feedback_id": feedback.pulseback_id,
        "report": report.pk,
        "sync_run": SyncRun.objects.create(location=location, kind="incremental").pk,
        "feedback_request": PosOrder.objects.create(location=location, order_id="o-1", rating=5).pk,
        "webhook": WebhookEndpoint.objects.create(
            url="https://hooks.example/in", events=["feedback.created"], secret="whsec_x", created_by=owner
        ).pk,
    }


@pytest.fixture
def token_of(agency, other_agency, owner, make_user, objects):
    def token(user, scope="write"):
        return Api(agency, api_token_create(user=user, name="matrix", scope=scope)[1])

    def viewer(client_pk):
        user = make_user(Role.CLIENT_VIEWER)
        ViewerAccess.objects.create(user=user, client_id=client_pk)
        return token(user, "read")

    def make(visitor):
        if visitor == "no_token":
            return Api(agency)
        if visitor == "outsider":
            connection.set_tenant(other_agency)
            raw = api_token_create(user=User.objects.get(email="owner@beta.test"), name="beta")[1]
            connection.set_tenant(agency)
            return Api(agency, raw)
        if visitor == "own_viewer":
            return viewer(objects["client"])
        if visitor == "other_viewer":
            return viewer(ClientFactory().pk)
        if visitor == "staff_read":
            return token(make_user(Role.STAFF), "read")
        return token(owner if visitor == "owner" else make_user(visitor))

    return make


def _order(item):
    (_name, method), _rule = item
    return {"GET": 0, "POST": 1, "PATCH": 1, "DELETE": 2}[method]  # reads first, deletions last


@pytest.mark.parametrize("visitor", VISITORS)
def test_each_token_gets_exactly_what_its_user_gets_in_the_portal(visitor, token_of, objects):
    api = token_of(visitor)
    failures = []
    for (name, method), (access, kwargs) in sorted(ENDPOINTS.items(), key=_order):
        path = reverse(name, kwargs={key: objects[value] for key, value in kwargs.items()})
        if method == "GET":
            status = api.get(path).status_code
        elif method == "DELETE":
            status = api.delete(path).status_code
        else:
            status = getattr(api, method.lower())(path, {}).status_code
        expected = _expected(access, method, visitor, kwargs)
        if expected == "allowed" and status in (401, 403) or expected != "allowed" and status not in expected:
            failures.append(f"{method} {name}: {status}, expected {expected}")
    assert failures == []

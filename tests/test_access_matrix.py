"""Every page of an agency's portal, opened by every kind of visitor: each gets exactly its due.

A new URL fails this test until its area module in tests/access/ gives it an expected access level.
"""

from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.urls import get_resolver, reverse

from agency.team.models import Role
from clients.alerts.models import Alert
from reports.models import Report, ReportState
from tests.access import MANAGER, MEMBER, OWN, PUBLIC, WRITER, areas
from tests.conftest import host_client
from tests.factories import ClientFactory, FeedbackFactory, LocationFactory

PAGES = {name: rule for area in areas() for name, rule in area.PAGES.items()}
TESTED_ELSEWHERE = set().union(*(getattr(area, "TESTED_ELSEWHERE", set()) for area in areas()))
QUERIES = {name: query for area in areas() for name, query in getattr(area, "QUERIES", {}).items()}
VISITORS = ("anonymous", "outsider", "other_viewer", "own_viewer", Role.STAFF, Role.ADMIN, Role.OWNER)


def test_every_portal_url_has_an_expected_access_level():
    names = {p.name for p in _walk(get_resolver("agency.urls").url_patterns) if p.name}
    names = {name for name in names if not name.startswith("api-")}
    assert names - set(PAGES) - TESTED_ELSEWHERE == set()


def _walk(patterns):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _walk(pattern.url_patterns)
        else:
            yield pattern


def _expected(access, visitor):
    if access == PUBLIC:
        return {200, 302}
    if visitor in ("anonymous", "outsider"):
        return {302}  # to the login page: a session of another agency is no session here
    if access == OWN:
        return {200}
    if visitor in ("own_viewer", "other_viewer"):
        if access in (WRITER, MANAGER):
            return {403}
        return {200}
    if access == MANAGER and visitor == Role.STAFF:
        return {403}
    return {200}


@pytest.fixture
def objects(agency):
    location = LocationFactory(client__name="Bistro Verde", client__timezone="UTC")
    report = Report.objects.create(client=location.client, start=date(2026, 9, 1), end=date(2026, 9, 30),
                                   state=ReportState.READY)  # fmt: skip
    report.pdf.save("r.pdf", ContentFile(b"%PDF-1.7"))
    Alert.objects.create(kind="unresolved", client=location.client, key="k", message="m")
    made = {"client": location.client.pk, "location": location.pk, "report": report.pk,
            "feedback": FeedbackFactory(location=location).pk}  # fmt: skip
    for area in areas():
        if hasattr(area, "objects"):
            area.objects(made)
    return made


@pytest.fixture
def visitor_client(agency, other_agency, make_user, viewer_of, objects):
    from django.db import connection

    from agency.team.models import User
    from clients.models import Client

    def make(visitor):
        if visitor == "anonymous":
            return host_client(agency)
        if visitor == "outsider":
            connection.set_tenant(other_agency)
            beta = host_client(other_agency, user=User.objects.get(email="owner@beta.test"))
            connection.set_tenant(agency)
            beta.defaults["HTTP_HOST"] = agency.get_primary_domain().domain
            return beta
        if visitor == "own_viewer":
            return host_client(agency, user=viewer_of(Client.objects.get(pk=objects["client"])))
        if visitor == "other_viewer":
            return host_client(agency, user=viewer_of(ClientFactory()))
        return host_client(agency, user=make_user(visitor))

    return make


@pytest.mark.parametrize("visitor", VISITORS)
def test_each_visitor_gets_exactly_what_they_should(visitor, visitor_client, objects):
    web = visitor_client(visitor)
    failures = []
    for name, (access, kwargs) in PAGES.items():
        url = reverse(name, kwargs={key: objects[value] for key, value in kwargs.items()})
        if name in QUERIES:
            url += "?" + QUERIES[name]
        status = web.get(url).status_code
        expected = _expected(access, visitor)
        if visitor == "other_viewer" and access == MEMBER and kwargs:
            expected = {404}  # another client's page: not found, never shown
        if name == "home" and visitor in ("own_viewer", "other_viewer"):
            expected = {302}  # a client viewer's overview is their client's dashboard
        if status not in expected:
            failures.append(f"{name}: {status}, expected {sorted(expected)}")
    assert failures == []

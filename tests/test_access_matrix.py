"""Every page of an agency's portal, opened by every kind of visitor: each gets exactly its due.

A new URL fails this test until it is given an expected access level here.
"""

from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.urls import get_resolver, reverse

from agency.team.models import Role
from clients.alerts.models import Alert
from reports.models import Report, ReportState
from tests.conftest import host_client
from tests.factories import ClientFactory, FeedbackFactory, LocationFactory

# (url name, kwargs builder, access): PUBLIC anyone; MEMBER any member, a client viewer only their
# client's; WRITER not client viewers; MANAGER owners and admins.
PUBLIC, MEMBER, WRITER, MANAGER, OWN = "public", "member", "writer", "manager", "own"
PAGES = {
    "home": (MEMBER, {}),
    "client_dashboard": (MEMBER, {"pk": "client"}),
    "location_dashboard": (MEMBER, {"pk": "client", "location_pk": "location"}),
    "client_sync_status": (MEMBER, {"pk": "client"}),
    "inbox": (MEMBER, {}),
    "feedback_export": (MEMBER, {}),
    "feedback_detail": (MEMBER, {"pk": "feedback"}),
    "client_reports": (MEMBER, {"pk": "client"}),
    "report_preview": (MEMBER, {"pk": "client"}),
    "report_download": (MEMBER, {"pk": "report"}),
    "alert_list": (MEMBER, {}),
    "api_tokens": (OWN, {}),
    "client_add": (MANAGER, {}),
    "client_import": (MANAGER, {}),
    "client_edit": (MANAGER, {"pk": "client"}),
    "client_remove": (MANAGER, {"pk": "client"}),
    "location_new": (MANAGER, {"pk": "client"}),
    "location_login": (MANAGER, {"pk": "client", "location_pk": "location"}),
    "pos_trigger_page": (MANAGER, {"pk": "client", "location_pk": "location"}),
    "client_viewers": (MANAGER, {"pk": "client"}),
    "connect_request": (MANAGER, {"pk": "client"}),
    "team": (MANAGER, {}),
    "audit_log": (MANAGER, {}),
    "report_queue": (MANAGER, {}),
    "branding": (MANAGER, {}),
    "alert_rules": (MANAGER, {}),
    "login": (PUBLIC, {}),
    "password_reset": (PUBLIC, {}),
    "password_reset_done": (PUBLIC, {}),
    "password_reset_complete": (PUBLIC, {}),
    "favicon": (PUBLIC, {}),
}
# POST-only actions, state-changing links, or pages reached with a token: tested where they live.
TESTED_ELSEWHERE = {
    "logout", "password_reset_confirm", "member_role", "member_remove", "invitation_accept",
    "connect_pulseback", "client_schedule", "report_approve", "location_pause", "location_resume",
    "location_sync", "alert_read", "api_token_revoke", "pos_trigger", "brand_logo",
}  # fmt: skip
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
    return {"client": location.client.pk, "location": location.pk, "report": report.pk,
            "feedback": FeedbackFactory(location=location).pk}  # fmt: skip


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
        if name == "report_preview":
            url += "?start=2026-09-01&end=2026-09-30&sections=summary"
        status = web.get(url).status_code
        expected = _expected(access, visitor)
        if visitor == "other_viewer" and access == MEMBER and kwargs:
            expected = {404}  # another client's page: not found, never shown
        if name == "home" and visitor in ("own_viewer", "other_viewer"):
            expected = {302}  # a client viewer's overview is their client's dashboard
        if status not in expected:
            failures.append(f"{name}: {status}, expected {sorted(expected)}")
    assert failures == []

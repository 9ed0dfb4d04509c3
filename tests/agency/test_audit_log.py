"""The audit log: changes are recorded with who and when, and only owners and admins read it."""

import pytest

from agency.team.models import AuditEvent, Role
from clients.models import Client
from tests.conftest import host_client


def test_team_changes_are_recorded_and_listed(agency, owner, make_user, django_capture_on_commit_callbacks):
    staff = make_user(Role.STAFF)
    web = host_client(agency, user=owner)
    with django_capture_on_commit_callbacks(execute=True):
        web.post("/team/", {"email": "new@alpha.test", "role": Role.ADMIN})
    web.post(f"/team/{staff.pk}/role/", {"role": Role.ADMIN})
    web.post(f"/team/{staff.pk}/remove/")

    events = list(AuditEvent.objects.order_by("at", "id").values_list("actor_label", "action", "target"))
    assert events == [
        ("owner@alpha.test", "team.invited", "new@alpha.test"),
        ("owner@alpha.test", "team.role_changed", staff.email),
        ("owner@alpha.test", "team.removed", staff.email),
    ]
    page = web.get("/settings/audit/").content.decode()
    assert "changed the role of <strong>" + staff.email in page


def test_branding_changes_name_the_fields_not_their_secrets(agency, owner):
    host_client(agency, user=owner).post("/settings/branding/", {
        "name": "Alpha Agency", "brand_primary": "#1f4e9c", "brand_accent": "#e8590c"})  # fmt: skip

    event = AuditEvent.objects.get(action="branding.updated")
    assert event.details == {"fields": ["brand_primary"]}


@pytest.mark.parametrize("role", [Role.STAFF, Role.CLIENT_VIEWER])
def test_only_owners_and_admins_read_the_log(agency, make_user, role):
    assert host_client(agency, user=make_user(role)).get("/settings/audit/").status_code == 403


def test_client_changes_are_recorded(agency, owner, sandbox_login):
    web = host_client(agency, user=owner)
    form = {"name": "Bistro Verde", "timezone": "UTC", **sandbox_login(), "action": "save"}
    web.post("/clients/new/", form)
    client = Client.objects.get()
    location = client.locations.get()
    web.post(f"/clients/{client.pk}/locations/{location.pk}/pause/")
    web.post(f"/clients/{client.pk}/remove/")

    actions = list(AuditEvent.objects.order_by("at", "id").values_list("action", "target"))
    assert actions == [
        ("client.created", "Bistro Verde"),
        ("location.paused", "Bistro Verde — Bistro Verde"),
        ("client.removed", "Bistro Verde"),
    ]

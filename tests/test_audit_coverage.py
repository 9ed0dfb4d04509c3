"""Every write path (portal form, API endpoint, bulk import, command) leaves exactly one audit event.

The services record it, inside the change's own transaction, so no path can forget it. Each case
does one write as a user would and names the one event it must leave.
"""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from agency.team.models import AuditEvent, Role
from clients.alerts.models import AlertKind
from clients.bulk_import import COLUMNS
from tests.conftest import SANDBOX_PASSWORD, host_client
from tests.factories import ClientFactory, LocationFactory


@pytest.fixture
def world(agency, owner, make_user, sandbox_login, sandbox_server, api_for):
    """What the write paths act on: a client with a location, a staff member, a write token."""
    client = ClientFactory(name="Bistro Verde")
    location = LocationFactory(
        client=client, name="Main Street", api_url=sandbox_server.api_url,
        auth_url=sandbox_server.auth_url, anon_key=sandbox_server.anon_key,
    )  # fmt: skip
    return {
        "agency": agency,
        "owner": owner,
        "web": host_client(agency, user=owner),
        "api": api_for(Role.OWNER),
        "staff": make_user(Role.STAFF),
        "client": client,
        "location": location,
        "login": sandbox_login,
        "sandbox": sandbox_server,
    }


def _csv(world):
    s = world["sandbox"]
    urls = f"{s.api_url},{s.auth_url},{s.anon_key}"
    row = f"Lakeside,Hotel,Europe/Paris,,hotel@sb.test,{SANDBOX_PASSWORD},,{urls}"
    return SimpleUploadedFile("c.csv", f"{','.join(COLUMNS)}\n{row}".encode(), content_type="text/csv")


def client_by_portal(w):
    w["web"].post("/clients/new/", {"name": "Lakeside", "timezone": "UTC", **w["login"](), "action": "save"})


def client_by_api(w):
    login = w["login"]()
    assert w["api"].post("/api/v1/clients", {"name": "Lakeside", **login}).status_code == 201


def client_by_import(w):
    w["web"].post("/clients/import/", {"file": _csv(w)})
    assert w["web"].post("/clients/import/", {"action": "confirm"}).status_code == 302


def client_by_command(w):
    login = w["login"]()
    call_command("add_client", "--agency=alpha", "--name=Lakeside",
                 f"--pulseback-email={login['pulseback_email']}", f"--pulseback-password={SANDBOX_PASSWORD}",
                 f"--api-url={login['api_url']}", f"--auth-url={login['auth_url']}",
                 f"--anon-key={login['anon_key']}")  # fmt: skip


def client_edit_by_portal(w):
    w["web"].post(f"/clients/{w['client'].pk}/edit/", {"name": "Bistro Rosso", "timezone": "UTC"})


def client_edit_by_api(w):
    assert w["api"].patch(f"/api/v1/clients/{w['client'].pk}", {"notes": "VIP"}).status_code == 200


def client_remove_by_portal(w):
    w["web"].post(f"/clients/{w['client'].pk}/remove/")


def client_remove_by_api(w):
    assert w["api"].delete(f"/api/v1/clients/{w['client'].pk}").status_code == 204


def location_add_by_portal(w):
    w["web"].post(f"/clients/{w['client'].pk}/locations/new/", {"name": "Harbour", **w["login"]()})


def location_login_by_portal(w):
    location = w["location"]
    form = {"pulseback_email": "new@sb.test", "pulseback_password": SANDBOX_PASSWORD}
    w["web"].post(f"/clients/{w['client'].pk}/locations/{location.pk}/login/", form)


def location_pause_by_portal(w):
    w["web"].post(f"/clients/{w['client'].pk}/locations/{w['location'].pk}/pause/")


def location_ask_login_by_portal(w):
    s = w["sandbox"]
    w["web"].post(f"/clients/{w['client'].pk}/ask-login/", {
        "email": "ana@bistro.example", "location_name": "Harbour", "api_url": s.api_url,
        "auth_url": s.auth_url, "anon_key": s.anon_key,
    })  # fmt: skip


def location_connect_by_owner(w):
    link = next(word for word in mail.outbox[-1].body.split() if "/connect/" in word)
    login = {"pulseback_email": w["login"]()["pulseback_email"], "pulseback_password": SANDBOX_PASSWORD}
    response = host_client(w["agency"]).post(link.split("alpha.localhost", 1)[1], login)
    assert b"you are connected" in response.content


def team_invite_by_portal(w):
    w["web"].post("/team/", {"email": "new@alpha.test", "role": Role.STAFF})


def team_role_by_portal(w):
    w["web"].post(f"/team/{w['staff'].pk}/role/", {"role": Role.ADMIN})


def team_remove_by_portal(w):
    w["web"].post(f"/team/{w['staff'].pk}/remove/")


def branding_by_portal(w):
    w["web"].post("/settings/branding/", {"name": "Alpha Agency", "brand_primary": "#123456",
                                          "brand_accent": "#e8590c"})  # fmt: skip


def schedule_by_portal(w):
    form = {"frequency": "monthly", "day": "3", "recipients": "a@bistro.example", "sections": ["summary"],
            "active": "on"}  # fmt: skip
    assert w["web"].post(f"/clients/{w['client'].pk}/reports/schedule/", form).status_code == 302


def token_by_portal(w):
    w["web"].post("/settings/api-tokens/", {"name": "Zapier", "scope": "read"})


def token_by_command(w):
    call_command("create_api_token", "--agency=alpha", "--email=owner@alpha.test", "--scope=read")


def token_revoke_by_portal(w):
    token = w["owner"].api_tokens.get()  # the world's write token
    w["web"].post(f"/settings/api-tokens/{token.pk}/revoke/")


def alert_rule_by_portal(w):
    kind = AlertKind.NEGATIVE
    form = {"kind": kind, f"{kind}-max_rating": "2", f"{kind}-min_spike": "3", f"{kind}-silence_days": "7",
            f"{kind}-unresolved_hours": "48"}  # fmt: skip
    assert w["web"].post(f"/settings/alerts/?client={w['client'].pk}", form).status_code == 302


def webhook_create_by_api(w):
    body = {"url": "http://127.0.0.1:9/in", "events": ["sync.failed"]}  # loopback: allowed in tests
    assert w["api"].post("/api/v1/webhooks", body).status_code == 201


def pos_trigger_by_api(w):
    assert w["api"].post(f"/api/v1/locations/{w['location'].pk}/pos-trigger", {}).status_code in (200, 201)


def pos_trigger_by_portal(w):
    url = f"/clients/{w['client'].pk}/locations/{w['location'].pk}/pos/"
    w["web"].post(url, {"starting_rating": "4", "is_enabled": "on", "action": "save"})


def _item(w):
    from tests.factories import FeedbackFactory

    return FeedbackFactory(location=w["location"], rating=1)


def _item_api(item, what="workflow"):
    return f"/api/v1/locations/{item.location_id}/feedback/{item.pulseback_id}/{what}"


def feedback_assign_by_portal(w):
    w["web"].post(f"/feedback/{_item(w).pk}/assign/", {"assignee": w["staff"].pk})


def feedback_assign_by_api(w):
    assert w["api"].patch(_item_api(_item(w)), {"assignee": w["staff"].pk}).status_code == 200


def feedback_tag_by_portal(w):
    w["web"].post(f"/feedback/{_item(w).pk}/tags/", {"add": "refund"})


def feedback_handled_by_portal(w):
    w["web"].post(f"/feedback/{_item(w).pk}/handled/", {"handled": "yes"})


def feedback_handled_by_api(w):
    assert w["api"].patch(_item_api(_item(w)), {"handled": True}).status_code == 200


def feedback_note_by_portal(w):
    w["web"].post(f"/feedback/{_item(w).pk}/notes/", {"body": "Called them back."})


def feedback_note_by_api(w):
    assert w["api"].post(_item_api(_item(w), "notes"), {"body": "Called them back."}).status_code == 201


def feedback_bulk_by_portal(w):
    _item(w)
    form = {"rating": "1", "bulk_action": "handle", "expected": "1"}
    assert w["web"].post("/feedback/bulk/", form).status_code == 302


def feedback_bulk_by_api(w):
    _item(w)
    body = {"filters": {"rating": 1}, "add_tag": "refund", "expected_count": 1}
    assert w["api"].post("/api/v1/workflow/bulk", body).status_code == 200


def alert_channel_by_portal(w):
    form = {"kind": "slack", "name": "#reviews", "url": "http://127.0.0.1:9/slack"}  # loopback: tests
    assert w["web"].post("/settings/alerts/channels/", form).status_code == 302


def alert_channel_remove_by_portal(w):
    from clients.alerts.models import AlertChannel

    url = "http://127.0.0.1:9/s"
    channel = AlertChannel.objects.create(kind="slack", name="#r", url=url, host="127.0.0.1")
    w["web"].post(f"/settings/alerts/channels/{channel.pk}/remove/")


def _endpoint():
    from agency.webhooks.models import WebhookEndpoint

    return WebhookEndpoint.objects.create(url="http://127.0.0.1:9/in", events=["sync.failed"], secret="s")


def webhook_create_by_portal(w):
    form = {"url": "http://127.0.0.1:9/in", "events": ["sync.failed"]}
    assert w["web"].post("/settings/webhooks/", form).status_code == 201


def webhook_enable_by_portal(w):
    endpoint = _endpoint()
    endpoint.is_active = False
    endpoint.save()
    w["web"].post(f"/settings/webhooks/{endpoint.pk}/enable/")


def webhook_remove_by_portal(w):
    w["web"].post(f"/settings/webhooks/{_endpoint().pk}/remove/")


WRITE_PATHS = {
    client_by_portal: "client.created",
    client_by_api: "client.created",
    client_by_import: "client.created",
    client_by_command: "client.created",
    client_edit_by_portal: "client.updated",
    client_edit_by_api: "client.updated",
    client_remove_by_portal: "client.removed",
    client_remove_by_api: "client.removed",
    location_add_by_portal: "location.added",
    location_login_by_portal: "location.credentials_replaced",
    location_pause_by_portal: "location.paused",
    location_ask_login_by_portal: "location.login_requested",
    location_connect_by_owner: "location.connected_by_owner",
    team_invite_by_portal: "team.invited",
    team_role_by_portal: "team.role_changed",
    team_remove_by_portal: "team.removed",
    branding_by_portal: "branding.updated",
    schedule_by_portal: "report.schedule_saved",
    token_by_portal: "api_token.created",
    token_by_command: "api_token.created",
    token_revoke_by_portal: "api_token.revoked",
    alert_rule_by_portal: "alert_rule.saved",
    webhook_create_by_api: "webhook.created",
    pos_trigger_by_api: "pos_trigger.changed",
    pos_trigger_by_portal: "pos_trigger.changed",
    feedback_assign_by_portal: "feedback.assigned",
    feedback_assign_by_api: "feedback.assigned",
    feedback_tag_by_portal: "feedback.tagged",
    feedback_handled_by_portal: "feedback.handled",
    feedback_handled_by_api: "feedback.handled",
    feedback_note_by_portal: "feedback.note_added",
    feedback_note_by_api: "feedback.note_added",
    feedback_bulk_by_portal: "feedback.bulk_changed",
    feedback_bulk_by_api: "feedback.bulk_changed",
    alert_channel_by_portal: "alert_channel.created",
    alert_channel_remove_by_portal: "alert_channel.removed",
    webhook_create_by_portal: "webhook.created",
    webhook_enable_by_portal: "webhook.updated",
    webhook_remove_by_portal: "webhook.removed",
}


# Writes that need an earlier one: the owner connects through the link the agency emailed.
PREPARE = {location_connect_by_owner: location_ask_login_by_portal}


@pytest.mark.parametrize("write, action", WRITE_PATHS.items(), ids=[f.__name__ for f in WRITE_PATHS])
def test_each_write_path_leaves_exactly_one_audit_event(
    world, write, action, django_capture_on_commit_callbacks
):
    if write in PREPARE:
        with django_capture_on_commit_callbacks(execute=True):
            PREPARE[write](world)
    before = set(AuditEvent.objects.values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        write(world)

    new = list(AuditEvent.objects.exclude(pk__in=before).values_list("action", flat=True))
    assert new == [action]

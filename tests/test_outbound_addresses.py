"""A PulseBack or webhook address whose host name resolves to a private network is refused where the
person typed it (portal, API, bulk import), with a message naming the host, before any connection."""

import socket

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from agency import netguard
from agency.team.models import Role
from agency.webhooks.models import WebhookEndpoint
from clients.bulk_import import COLUMNS
from clients.models import Client
from tests.conftest import SANDBOX_PASSWORD, host_client

EVIL = "https://pulseback.evil.test/api"
PRIVATE = ["10.0.0.5", "169.254.169.254", "::ffff:192.168.1.1"]


@pytest.fixture
def resolving_to(monkeypatch):
    """Make every host name resolve to ``address``; record whether anything tried to connect."""
    tried = []

    def make(address):
        def fake(host, port, *args, **kwargs):
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

        monkeypatch.setattr(netguard.socket, "getaddrinfo", fake)
        monkeypatch.setattr(netguard.socket, "create_connection", lambda *a, **k: tried.append(a))
        return tried

    return make


def _login(sandbox_server, **urls):
    return {"pulseback_email": "biz@sb.test", "pulseback_password": SANDBOX_PASSWORD,
            "api_url": urls.get("api_url", sandbox_server.api_url), "auth_url": sandbox_server.auth_url,
            "anon_key": sandbox_server.anon_key}  # fmt: skip


@pytest.mark.parametrize("address", PRIVATE)
def test_portal_refuses_a_pulseback_address_that_resolves_privately(
    agency, owner, sandbox_server, resolving_to, address
):
    tried = resolving_to(address)
    form = {"name": "Bistro", "timezone": "UTC", **_login(sandbox_server, api_url=EVIL), "action": "save"}

    response = host_client(agency, user=owner).post("/clients/new/", form)

    assert response.status_code == 200
    assert (
        "pulseback.evil.test" in response.content.decode()
        and address.split(":")[-1] in response.content.decode()
    )
    assert not Client.objects.exists() and not tried


def test_portal_refuses_loopback_when_the_sandbox_is_off(
    agency, owner, sandbox_server, resolving_to, settings
):
    settings.PULSEBACK_SANDBOX_ENABLED = False
    resolving_to("127.0.0.1")
    form = {"name": "Bistro", "timezone": "UTC", **_login(sandbox_server, api_url=EVIL), "action": "save"}

    response = host_client(agency, user=owner).post("/clients/new/", form)

    assert "pulseback.evil.test" in response.content.decode() and not Client.objects.exists()


def test_api_refuses_a_pulseback_address_that_resolves_privately(
    agency,
    api_for,
    sandbox_server,
    resolving_to,
):
    tried = resolving_to("10.0.0.5")

    response = api_for(Role.OWNER).post(
        "/api/v1/clients", {"name": "Bistro", **_login(sandbox_server, api_url=EVIL)}
    )

    assert response.status_code == 400
    assert "pulseback.evil.test" in " ".join(response.json()["fields"]["api_url"])
    assert not Client.objects.exists() and not tried


def test_bulk_import_refuses_a_row_whose_address_resolves_privately(
    agency, owner, sandbox_server, resolving_to
):
    tried = resolving_to("10.0.0.5")
    s = sandbox_server
    row = f"Lakeside,Hotel,UTC,,hotel@sb.test,{SANDBOX_PASSWORD},,{EVIL},{s.auth_url},{s.anon_key}"
    upload = SimpleUploadedFile("c.csv", f"{','.join(COLUMNS)}\n{row}".encode(), content_type="text/csv")

    page = host_client(agency, user=owner).post("/clients/import/", {"file": upload}).content.decode()

    assert "0 of 1 rows can be imported" in page and "pulseback.evil.test" in page
    assert not tried


@pytest.mark.parametrize("address", ["127.0.0.1", *PRIVATE])
def test_a_webhook_whose_host_resolves_privately_is_refused(
    agency,
    api_for,
    resolving_to,
    settings,
    address,
):
    settings.WEBHOOKS_ALLOW_LOOPBACK_TARGETS = False
    tried = resolving_to(address)

    response = api_for(Role.OWNER).post(
        "/api/v1/webhooks", {"url": "https://hooks.evil.test/in", "events": ["sync.failed"]}
    )

    assert response.status_code == 400
    assert "hooks.evil.test" in " ".join(response.json()["fields"]["url"])
    assert not WebhookEndpoint.objects.exists() and not tried

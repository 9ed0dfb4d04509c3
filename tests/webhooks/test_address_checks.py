"""Webhook targets must be public: checked on the URL and after DNS resolution; no redirects."""

import socket

import pytest

from agency import netguard
from agency.webhooks import transport
from agency.webhooks.transport import TargetRefused, url_check


@pytest.fixture
def public_only(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK_TARGETS = False


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://127.1/hook",
        "http://localhost:8000/hook",
        "http://app.localhost/hook",
        "https://10.0.0.5/hook",
        "https://192.168.1.1/hook",
        "https://172.16.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fe80::1]/hook",
        "http://0.0.0.0/hook",
        "ftp://example.com/hook",
        "https://user:pw@example.com/hook",
        "not a url",
    ],
)
def test_non_public_or_malformed_targets_are_refused(public_only, url):
    with pytest.raises(TargetRefused):
        url_check(url)


def _resolving_to(monkeypatch, *addresses):
    def fake(host, port, *args, **kwargs):
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(netguard.socket, "getaddrinfo", fake)


def test_a_name_resolving_to_a_private_address_is_refused(public_only, monkeypatch):
    _resolving_to(monkeypatch, "93.184.216.34", "10.1.2.3")  # one bad address is enough

    with pytest.raises(TargetRefused, match="hooks.example.com resolves to 10.1.2.3, a private"):
        url_check("https://hooks.example.com/in")


def test_a_name_resolving_to_public_addresses_is_accepted(public_only, monkeypatch):
    _resolving_to(monkeypatch, "93.184.216.34")

    assert url_check("https://hooks.example.com/in") == "https://hooks.example.com/in"


@pytest.mark.parametrize(
    "url", ["http://10.0.0.5/hook", "http://169.254.169.254/latest/", "http://metadata.google.internal/"]
)
def test_allowing_private_targets_allows_loopback_only(url):
    with pytest.raises(TargetRefused):  # WEBHOOKS_ALLOW_LOOPBACK_TARGETS is set in tests
        url_check(url)


def test_delivery_rechecks_dns_at_send_time(public_only, monkeypatch):
    _resolving_to(monkeypatch, "127.0.0.1")  # rebinding: public when saved, loopback when sent

    outcome = transport.post(url="https://hooks.example.com/in", body=b"{}", headers={})

    assert not outcome.ok and outcome.status_code is None and "refused" in outcome.error
    assert "hooks.example.com resolves to 127.0.0.1" in outcome.error


def test_delivery_connects_to_the_checked_address_with_the_hosts_name(receiver, monkeypatch):
    port = receiver.server.server_address[1]
    _resolving_to(monkeypatch, "127.0.0.1")  # allowed in tests (WEBHOOKS_ALLOW_LOOPBACK_TARGETS)

    outcome = transport.post(url=f"http://hooks.example.test:{port}/in", body=b"{}", headers={})

    assert outcome.ok
    _status, headers, _body, path = receiver.requests[0]
    assert headers["Host"] == f"hooks.example.test:{port}" and path == "/in"


def test_redirects_are_not_followed(receiver):
    receiver.redirect_to = "http://169.254.169.254/latest/meta-data/"

    outcome = transport.post(url=receiver.url, body=b"{}", headers={})

    assert not outcome.ok and outcome.status_code == 302
    assert len(receiver.requests) == 1

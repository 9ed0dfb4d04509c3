"""agency.netguard: URL and address checks, resolution checks and the connect-time transport.

Plain pytest, no database. DNS answers are faked by patching socket.getaddrinfo.
"""

import datetime
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from agency import netguard
from agency.netguard import AddressRefused, UnresolvableHost, check_url, check_url_resolves, resolve


@pytest.mark.parametrize(
    ("url", "loopback", "expected"),
    [
        (
            "https://getpulseback-production.up.railway.app/api",
            False,
            "https://getpulseback-production.up.railway.app/api",
        ),
        ("  HTTPS://Example.COM:443/api/ ", False, "https://example.com/api"),
        ("https://example.com:8443", False, "https://example.com:8443"),
        ("https://mkpxnprhwzrnxbfbdbts.supabase.co/", False, "https://mkpxnprhwzrnxbfbdbts.supabase.co"),
        ("https://bücher.example/api", False, "https://xn--bcher-kva.example/api"),
        ("https://93.184.215.14/api", False, "https://93.184.215.14/api"),
        ("http://127.0.0.1:8765/api", True, "http://127.0.0.1:8765/api"),
        ("http://127.9.9.9:80", True, "http://127.9.9.9"),
        ("http://localhost:8765", True, "http://localhost:8765"),
        ("http://[::1]:8765/api", True, "http://[::1]:8765/api"),
        ("https://127.0.0.1:8765", True, "https://127.0.0.1:8765"),
        ("https://example.com/api", True, "https://example.com/api"),
        ("http://app.localhost:8765", True, "http://app.localhost:8765"),
    ],
)
def test_check_url_accepts(url, loopback, expected):
    assert check_url(url, allow_loopback_http=loopback) == expected


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://example.com/api", False),
        ("http://example.com/api", True),
        ("http://127.0.0.1:8765", False),
        ("http://localhost:8765", False),
        ("http://10.0.0.5", True),
        ("http://169.254.169.254", True),
        ("https://user:hunter2-secret@example.com", False),
        ("https://user@example.com", False),
        ("ftp://example.com", False),
        ("example.com/api", False),
        ("//example.com/api", False),
        ("https://", False),
        ("https:///api", False),
        ("", False),
        ("https://10.1.2.3/api", False),
        ("https://192.168.0.10", False),
        ("https://172.16.0.1", False),
        ("https://100.64.0.1", False),
        ("https://0.0.0.0", False),
        ("https://169.254.169.254/latest/meta-data", False),
        ("https://169.254.169.254", True),
        ("https://[fd00:ec2::254]", False),
        ("https://[::ffff:169.254.169.254]", False),
        ("https://[fe80::1%25eth0]", False),
        ("https://[::1]", False),
        ("https://127.0.0.1", False),
        ("https://localhost", False),
        ("https://app.localhost", False),
        ("http://app.localhost", False),
        ("https://[64:ff9b::a9fe:a9fe]", False),
        ("https://[2002:a00:1::1]", False),
        ("https://2130706433", False),
        ("https://0x7f.1", False),
        ("https://0177.0.0.1", False),
        ("https://999.1.1.1", False),
        ("https://metadata.google.internal/computeMetadata", False),
        ("https://example.com/api?x=1", False),
        ("https://example.com/api#frag", False),
        ("https://exa mple.com", False),
        ("https://example.com\\@evil.example", False),
        ("https://example.com:0", False),
        ("https://example.com:99999", False),
        ("https://-bad-.example", False),
        ("https://example.com:hunter2-secret", False),
        ("https://[::1", False),
    ],
)
def test_check_url_refuses(url, loopback):
    with pytest.raises(AddressRefused) as info:
        check_url(url, allow_loopback_http=loopback)
    assert str(info.value) and "hunter2" not in str(info.value)


def test_check_url_needs_a_string():
    with pytest.raises(ValueError):
        check_url(None, allow_loopback_http=True)  # type: ignore[arg-type]


# ------------------------------------------------------------ refusal reasons
@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("64:ff9b::7f00:1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.1.1", "private"),
        ("fd12::1", "private"),
        ("fec0::1", "private"),
        ("2002:a00:1::1", "private"),
        ("169.254.169.254", "metadata"),
        ("::ffff:169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 - an address under test, not a bind
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not a public"),
        ("192.0.0.8", "not a public"),
    ],
)
def test_non_public_addresses_are_refused(address, why):
    assert why in netguard.refusal_reason(address)
    if why != "loopback":
        assert why in netguard.refusal_reason(address, allow_loopback=True)
    else:
        assert netguard.refusal_reason(address, allow_loopback=True) is None


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address):
    assert netguard.refusal_reason(address) is None


# ----------------------------------------------------------------- resolution
_REAL_GETADDRINFO = socket.getaddrinfo


class FakeDns:
    """Answers for some names (a list per name, or a list of lists served in turn); others are real."""

    def __init__(self, monkeypatch, answers):
        self.answers, self.asked = answers, []
        monkeypatch.setattr(netguard.socket, "getaddrinfo", self)

    def __call__(self, host, port, *args, **kwargs):
        if host not in self.answers:
            return _REAL_GETADDRINFO(host, port, *args, **kwargs)
        self.asked.append(host)
        answer = self.answers[host]
        if answer and isinstance(answer[0], list):
            answer = answer[min(len(self.asked), len(answer)) - 1]
        if not answer:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answer
        ]


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("169.254.169.254", "metadata"),
        ("::ffff:127.0.0.1", "loopback"),
    ],
)
def test_a_host_resolving_to_a_non_public_address_is_refused(monkeypatch, address, why):
    FakeDns(monkeypatch, {"api.pulseback.example": ["93.184.215.14", address]})  # one bad one is enough
    with pytest.raises(AddressRefused) as info:
        check_url_resolves("https://api.pulseback.example/api", allow_loopback_http=False)
    message = str(info.value)
    assert f"api.pulseback.example resolves to {address}" in message and why in message


def test_a_host_resolving_to_public_addresses_is_accepted(monkeypatch):
    dns = FakeDns(monkeypatch, {"api.pulseback.example": ["93.184.215.14", "2606:4700::1111"]})
    url = check_url_resolves("https://API.pulseback.example/api/", allow_loopback_http=False)
    assert url == "https://api.pulseback.example/api" and dns.asked == ["api.pulseback.example"]
    assert resolve("api.pulseback.example", 443, allow_loopback=False) == ["93.184.215.14", "2606:4700::1111"]


@pytest.mark.parametrize("host", ["x.localhost", "localhost", "metadata.google.internal"])
def test_loopback_and_metadata_names_are_refused_without_dns(monkeypatch, host):
    dns = FakeDns(monkeypatch, {host: ["93.184.215.14"]})
    with pytest.raises(AddressRefused, match=host):
        check_url_resolves(f"https://{host}/api", allow_loopback_http=False)
    with pytest.raises(AddressRefused, match=host):
        resolve(host, 443, allow_loopback=False)
    assert dns.asked == []


def test_allow_loopback_permits_loopback_only(monkeypatch):
    FakeDns(monkeypatch, {"sandbox.test": ["127.0.0.1"], "lan.test": ["10.0.0.5"]})
    assert check_url_resolves("https://sandbox.test", allow_loopback_http=True) == "https://sandbox.test"
    assert resolve("localhost", 80, allow_loopback=True) == ["127.0.0.1"]
    with pytest.raises(AddressRefused, match="private"):
        check_url_resolves("https://lan.test", allow_loopback_http=True)
    with pytest.raises(AddressRefused, match="metadata"):
        resolve("metadata.google.internal", 80, allow_loopback=True)
    with pytest.raises(AddressRefused, match="metadata"):
        resolve("169.254.169.254", 80, allow_loopback=True)


def test_literal_addresses_are_checked_without_dns(monkeypatch):
    dns = FakeDns(monkeypatch, {})
    assert resolve("[::1]", 80, allow_loopback=True) == ["::1"]
    assert resolve("127.1", 80, allow_loopback=True) == ["127.0.0.1"]
    with pytest.raises(AddressRefused, match="loopback"):
        resolve("127.0.0.1", 80, allow_loopback=False)
    assert dns.asked == []


def test_an_unresolvable_host_is_refused_as_such(monkeypatch):
    FakeDns(monkeypatch, {"nowhere.example": []})
    with pytest.raises(UnresolvableHost, match="nowhere.example could not be resolved"):
        check_url_resolves("https://nowhere.example", allow_loopback_http=False)


# ------------------------------------------------------------------ transport
def _serve(tls: ssl.SSLContext | None = None):
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append((self.headers.get("Host"), self.path))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.seen = seen
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def local_server():
    server = _serve()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def connects(monkeypatch):
    """Every TCP connection attempt (address, port); each one fails."""
    attempts = []

    def create_connection(address, *args, **kwargs):
        attempts.append(address)
        raise ConnectionRefusedError("refused by the test")

    monkeypatch.setattr(netguard.socket, "create_connection", create_connection)
    return attempts


def test_the_transport_refuses_before_connecting(monkeypatch, connects):
    FakeDns(monkeypatch, {"evil.example": ["10.0.0.7"]})
    with httpx.Client(transport=netguard.transport(allow_loopback=True)) as http:
        with pytest.raises(AddressRefused, match="evil.example resolves to 10.0.0.7"):
            http.get("http://evil.example/")
        with pytest.raises(AddressRefused, match="metadata"):
            http.get("http://169.254.169.254/latest/meta-data/")
    assert connects == []


def test_the_transport_refuses_loopback_unless_allowed(local_server):
    url = f"http://127.0.0.1:{local_server.server_address[1]}/"
    guarded = httpx.Client(transport=netguard.transport(allow_loopback=False))
    with guarded as http, pytest.raises(AddressRefused, match="loopback"):
        http.get(url)
    assert local_server.seen == []


def test_the_transport_connects_to_the_address_it_checked(monkeypatch, local_server):
    port = local_server.server_address[1]
    dns = FakeDns(monkeypatch, {"receiver.test": ["127.0.0.1"]})
    with httpx.Client(transport=netguard.transport(allow_loopback=True)) as http:
        response = http.get(f"http://receiver.test:{port}/in")
    assert response.status_code == 200 and response.text == "ok"
    assert local_server.seen == [(f"receiver.test:{port}", "/in")] and dns.asked == ["receiver.test"]


def test_no_second_lookup_so_no_rebinding(monkeypatch, connects):
    dns = FakeDns(monkeypatch, {"rebind.example": [["93.184.215.14"], ["127.0.0.1"]]})
    guarded = httpx.Client(transport=netguard.transport(allow_loopback=False))
    with guarded as http, pytest.raises(httpx.ConnectError):
        http.get("http://rebind.example/")
    assert dns.asked == ["rebind.example"] and connects == [("93.184.215.14", 80)]


def test_an_unresolvable_host_is_a_connect_error(monkeypatch, connects):
    FakeDns(monkeypatch, {"nowhere.example": []})
    guarded = httpx.Client(transport=netguard.transport(allow_loopback=False))
    with guarded as http, pytest.raises(httpx.ConnectError, match="could not be resolved"):
        http.get("https://nowhere.example/")
    assert connects == []


def _self_signed(name):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def test_tls_is_verified_against_the_host_name(monkeypatch, tmp_path):
    cert_pem, key_pem = _self_signed("secure.test")
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(key_pem)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server = _serve(server_tls)
    try:
        port = server.server_address[1]
        FakeDns(monkeypatch, {"secure.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
        trust = ssl.create_default_context(cadata=cert_pem.decode())
        with httpx.Client(transport=netguard.transport(allow_loopback=True, verify=trust)) as http:
            assert http.get(f"https://secure.test:{port}/").status_code == 200
            with pytest.raises(httpx.ConnectError, match="(?i)certificate|hostname"):
                http.get(f"https://other.test:{port}/")
    finally:
        server.shutdown()
        server.server_close()


def test_the_transport_tries_each_checked_address_in_turn(monkeypatch, local_server):
    port = local_server.server_address[1]
    FakeDns(monkeypatch, {"receiver.test": ["127.0.0.2", "127.0.0.1"]})  # nothing listens on .2
    with httpx.Client(transport=netguard.transport(allow_loopback=True)) as http:
        assert http.get(f"http://receiver.test:{port}/").status_code == 200

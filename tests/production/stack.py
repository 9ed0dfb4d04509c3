"""Helpers of the production tests: a database and broker namespace of their own on the services
the test run already uses, a throw-away TLS authority, an HTTP client that speaks to gunicorn's
Unix socket as a TLS-terminating proxy would, and waiting."""

import datetime
import ipaddress
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote

import httpx
import psycopg
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from tests.production.netns import pipe

ROOT = Path(__file__).resolve().parents[2]


def wait_until(check, *, seconds, what, every=0.5):
    """Call ``check()`` until it returns something truthy (returned), or fail saying ``what``."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        time.sleep(every)


@contextmanager
def fresh_database(blocker, name):
    """An empty database ``name`` on the test run's PostgreSQL, dropped afterwards."""
    with blocker.unblock(), connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with blocker.unblock(), connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_relay(folder, name):
    """A Unix socket in ``folder`` leading to the test run's PostgreSQL (on a socket or TCP); returns
    the DATABASE_URL of database ``name`` through it."""
    db = settings.DATABASES["default"]
    host = db["HOST"] or "localhost"
    if host.startswith("/"):
        target = Path(host) / f".s.PGSQL.{db['PORT'] or 5432}"
    else:
        target = (host, int(db["PORT"] or 5432))
    unix_relay(folder / ".s.PGSQL.5432", target)
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{quote(str(folder), safe='')}/{name}"


def unix_relay(listen, target):
    """Relay connections from the Unix socket ``listen`` to ``target`` (a socket path, or a TCP
    address), in threads of this process.

    The production processes run in a user namespace, where root has no say over files of other
    users: PostgreSQL's socket folder (0700, its own user's when tests run as root) is out of reach.
    This relay, made by the test process, lives in the smoke test's own folder."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(listen))
    listener.listen(64)

    def serve(client):
        try:
            if isinstance(target, tuple):
                backend = socket.create_connection(target)
            else:
                backend = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                backend.connect(str(target))
        except OSError:
            client.close()
            return
        threading.Thread(target=pipe, args=(client, backend), daemon=True).start()
        pipe(backend, client)

    def accept():
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # closed
                return
            threading.Thread(target=serve, args=(client,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener


def query(database, sql, params=()):
    """Rows of ``sql`` in ``database`` of the test run's PostgreSQL (autocommit, own connection)."""
    db = settings.DATABASES["default"]
    conninfo = {
        "dbname": database,
        "user": db["USER"],
        "host": db["HOST"],
        "password": db["PASSWORD"] or None,
    }
    if db["PORT"]:
        conninfo["port"] = db["PORT"]
    with psycopg.connect(autocommit=True, **conninfo) as conn:
        return conn.execute(sql, params).fetchall()


def redis_url(db):
    """The test run's Redis (its Unix socket), database ``db``."""
    location = settings.CACHES["default"]["LOCATION"]
    return re.sub(r"db=\d+", f"db={db}", location)


def manage(env, *args, timeout=300):
    """Run ``manage.py args`` with ``env``; returns its stdout (fails the test with its stderr)."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def tls_authority(folder, address):
    """A throw-away certificate authority (``ca.pem``, to trust) and a certificate for ``address``
    signed by it (``cert.pem``, ``key.pem``); returns the three paths."""
    now = datetime.datetime.now(datetime.UTC)

    def certificate(subject, issuer, key, signer, *, ca, extensions=()):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        for extension in extensions:
            builder = builder.add_extension(extension, critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = certificate(
        "Smoke test authority",
        "Smoke test authority",
        ca_key,
        ca_key,
        ca=True,
        extensions=[
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
        ],
    )
    server = certificate(
        address,
        "Smoke test authority",
        key,
        ca_key,
        ca=False,
        extensions=[
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address))]),
        ],
    )
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


def namespaces_available():
    """Whether this machine lets an unprivileged process make a user and network namespace."""
    if not (shutil.which("unshare") and shutil.which("ip")):
        return False
    probe = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--net", "ip", "addr", "add", "44.44.44.44/32", "dev", "lo"],
        capture_output=True,
    )
    return probe.returncode == 0


class Browser:
    """HTTP to gunicorn's Unix socket, as the TLS-terminating proxy in front of it would send it
    (``X-Forwarded-Proto: https``), keeping cookies itself (they are Secure; the hop is not)."""

    def __init__(self, socket_path, host):
        self.host = host
        self.cookies = {}
        self.http = httpx.Client(transport=httpx.HTTPTransport(uds=str(socket_path)), timeout=30)

    def request(self, method, path, *, https=True, headers=None, **kwargs):
        sent = {"Host": self.host, **(headers or {})}
        if https:
            sent["X-Forwarded-Proto"] = "https"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        response = self.http.request(method, f"http://{self.host}{path}", headers=sent, **kwargs)
        for header in response.headers.get_list("set-cookie"):
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, data, **kwargs):
        headers = {"Origin": f"https://{self.host}", "Referer": f"https://{self.host}{path}"}
        return self.request("POST", path, data=data, headers=headers, **kwargs)

    def csrf(self, path):
        """GET a form page; returns its CSRF token."""
        page = self.get(path)
        assert page.status_code == 200, page.status_code
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def samples(text):
    """Prometheus text as {(name, *sorted label pairs): value}."""
    return {
        (sample.name, *sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def stop(process, *, seconds=30):
    """SIGTERM a process group's leader, then wait; kills it if it does not stop in time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()

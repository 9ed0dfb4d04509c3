"""Shared fixtures: one migrated test database with two agencies, created once per run.

Agencies are cloned from the template schema (as in production sign-up), so
setting them up costs a fraction of a second. Each test runs in a transaction
that is rolled back, so tests never see each other's rows.
"""

import json
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client as HttpClient
from redis import Redis

from agency.api.services import api_token_create
from agency.celery import app
from agency.models import Agency
from agency.services import agency_create
from agency.team.models import Role, User
from clients.models import Client, Location, ViewerAccess
from clients.pulseback.sandbox import Sandbox, SandboxServer

PASSWORD = "a-Strong-passw0rd!"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings, django_db_blocker):
    """Before this run's test database is made: drop those of runs whose process is gone.

    Each run has its own test database (test_portal_<pid>); a run that was killed, or whose
    database was still in use at its end, leaves its own behind. Only on the embedded server.
    """
    from django.db import connection as default

    if os.environ.get("DATABASE_URL"):
        return  # a shared server: other machines' runs are not ours to judge
    with django_db_blocker.unblock(), default._nodb_cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE 'test_portal_%%'")
        for (name,) in cursor.fetchall():
            pid = name.rsplit("_", 1)[-1]
            if pid.isdigit() and not _process_alive(int(pid)):
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.conf import settings

    assert settings.DATABASES["default"]["NAME"].startswith("test_"), "refusing to set up a non-test database"
    with django_db_blocker.unblock():
        agency_create(
            slug="alpha", name="Alpha Agency", owner_email="owner@alpha.test", owner_password=PASSWORD
        )
        agency_create(slug="beta", name="Beta Agency", owner_email="owner@beta.test", owner_password=PASSWORD)
        connection.set_schema_to_public()


@pytest.fixture
def agency(db):
    """Agency A ("alpha"); the database connection is inside its schema for the test."""
    tenant = Agency.objects.get(slug="alpha")
    connection.set_tenant(tenant)
    yield tenant
    connection.set_schema_to_public()


@pytest.fixture
def other_agency(db):
    """Agency B ("beta"): to check that nothing crosses from A to B."""
    return Agency.objects.get(slug="beta")


@pytest.fixture
def owner(agency):
    return User.objects.get(email="owner@alpha.test")


@pytest.fixture
def make_user(agency):
    def make(role=Role.STAFF, email=None):
        email = email or f"{role}-{User.objects.count()}@alpha.test"
        return User.objects.create_user(email, PASSWORD, role=role)

    return make


def host_client(agency_or_host, user=None):
    """A test client whose requests go to an agency's domain (or any host), optionally logged in."""
    host = agency_or_host if isinstance(agency_or_host, str) else agency_or_host.get_primary_domain().domain
    client = HttpClient(HTTP_HOST=host)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def public_client(db):
    return HttpClient(HTTP_HOST="localhost")


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    """The cache (throttles, auth budget) lives in Redis: start every test without this run's keys."""
    redis = cache._cache.get_client(None, write=True)
    for key in redis.scan_iter(f"*:{settings.CACHES['default']['KEY_PREFIX']}:*"):
        redis.delete(key)


# --- A live PulseBack sandbox over real HTTP on loopback, and locations connected to it ---

SANDBOX_PASSWORD = "sandbox-secret-pw"


@pytest.fixture(scope="session")
def sandbox_server():
    # Its per-IP auth limit is off: the whole run signs in far more than a real worker would.
    # Auth 429s are tested through the auth_429_next fault switch.
    with SandboxServer(Sandbox(seed=7, auth_rate_limit_enabled=False)) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server):
    """The sandbox's state, with faults cleared after each test."""
    yield sandbox_server.sandbox
    sandbox_server.sandbox.clear_faults()


@pytest.fixture
def sandbox_account(sandbox):
    """Make a fresh sandbox business account (unique per test) with ``items`` feedback items."""

    def make(items=250):
        email = f"biz-{uuid.uuid4().hex[:10]}@sandbox.pulseback.test"
        sandbox.add_account(email, SANDBOX_PASSWORD, name="Test Business", items=items)
        return email

    return make


@pytest.fixture
def make_location(agency, sandbox_server):
    """A location connected to the sandbox (a client business is created with it)."""

    def make(email, *, client=None, password=SANDBOX_PASSWORD, name="Main Street"):
        client = client or Client.objects.create(name="Bistro Verde", timezone="Europe/Paris")
        return Location.objects.create(
            client=client,
            name=name,
            pulseback_email=email,
            pulseback_password=password,
            api_url=sandbox_server.api_url,
            auth_url=sandbox_server.auth_url,
            anon_key=sandbox_server.anon_key,
        )

    return make


def committed(fn):
    """Run ``fn`` in its own thread and database connection (autocommit), return its result.

    For tests whose data another process must see (a killed worker, a live
    server): the test's own connection is inside a transaction that is rolled back.
    """

    def run():
        try:
            return fn()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


# --- Who looks at the portal: client viewers, and the owner of the other agency ---


@pytest.fixture
def viewer_of(make_user):
    """A client-viewer user who may see only ``client``."""

    def make(client):
        user = make_user(Role.CLIENT_VIEWER)
        ViewerAccess.objects.create(user=user, client=client)
        return user

    return make


@pytest.fixture
def outsider(agency, other_agency):
    """A test client logged in as the owner of agency "beta", sending requests to agency "alpha"."""
    connection.set_tenant(other_agency)
    client = host_client(other_agency, user=User.objects.get(email="owner@beta.test"))
    connection.set_tenant(agency)
    client.defaults["HTTP_HOST"] = agency.get_primary_domain().domain
    return client


@pytest.fixture
def beta_owner_client(agency, other_agency):
    """The owner of agency "beta" on beta's own domain."""
    connection.set_tenant(other_agency)
    client = host_client(other_agency, user=User.objects.get(email="owner@beta.test"))
    connection.set_tenant(agency)
    return client


def login_redirect(response):
    return response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.fixture
def sandbox_login(sandbox_account, sandbox_server):
    """The login and addresses of a fresh sandbox PulseBack account with ``items`` items."""

    def make(items=42):
        return {
            "pulseback_email": sandbox_account(items=items),
            "pulseback_password": SANDBOX_PASSWORD,
            "api_url": sandbox_server.api_url,
            "auth_url": sandbox_server.auth_url,
            "anon_key": sandbox_server.anon_key,
        }

    return make


# --- The API: a test client sending a bearer token, and tokens for each role ---


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
        body = raw_body if raw_body is not None else json.dumps(data if data is not None else {})
        return self.http.post(path, body, content_type="application/json", **self._headers())

    def patch(self, path, data=None, raw_body=None):
        body = raw_body if raw_body is not None else json.dumps(data if data is not None else {})
        return self.http.patch(path, body, content_type="application/json", **self._headers())

    def delete(self, path):
        return self.http.delete(path, **self._headers())


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


@contextmanager
def published(task):
    """The messages the block publishes to ``task``'s queue (taken off the broker), oldest first."""
    queue = app.amqp.router.route({}, task.name, None, None, task)["queue"].name
    with app.connection_for_write() as conn:
        broker = Redis(connection_pool=conn.default_channel.client.connection_pool)
        key = conn.transport_options.get("global_keyprefix", "") + queue
        before = broker.llen(key)
        messages = []
        yield messages
        added = broker.llen(key) - before
        messages.extend(json.loads(raw) for raw in reversed(broker.lrange(key, 0, added - 1)))  # the newest
        broker.ltrim(key, added, -1)

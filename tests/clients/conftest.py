"""A live PulseBack sandbox over real HTTP on loopback, and factories for clients and locations."""

import uuid

import pytest

from clients.models import Client, Location
from clients.pulseback.sandbox import Sandbox, SandboxServer

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

"""Fixtures: a live sandbox over real HTTP on loopback, and a fake clock.

The fake clock is shared by the sandbox and the client, so client backoff
"sleeps" are recorded instead of slept and advance the sandbox's time too
(rate-limit windows, token expiry). Nothing here needs Django or a database.
"""

from __future__ import annotations

import ssl
import time

import httpx
import pytest

from agency.netguard import check_url
from clients.pulseback import Endpoints, PulseBackClient
from clients.pulseback.sandbox import DEMO_ACCOUNTS, Sandbox, SandboxServer
from clients.pulseback.sandbox.data import DEMO_PROFILES

_SSL = ssl.create_default_context()  # creating one per httpx.Client costs ~20 ms


class FakeTime:
    def __init__(self) -> None:
        self.now = time.time()
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def sandbox(fake_time: FakeTime) -> Sandbox:
    """The first two demo accounts with their full seeded data (the whole demo
    set is checked in test_sandbox; generating it for every test costs time)."""
    accounts = [(*acct, DEMO_PROFILES[acct[0]][1], DEMO_PROFILES[acct[0]][0]) for acct in DEMO_ACCOUNTS[:2]]
    return Sandbox(accounts=accounts, clock=fake_time.time)


@pytest.fixture
def server(sandbox: Sandbox):
    with SandboxServer(sandbox) as srv:
        yield srv


@pytest.fixture
def endpoints(server: SandboxServer) -> Endpoints:
    return Endpoints(
        check_url(server.api_url, allow_loopback_http=True),
        check_url(server.auth_url, allow_loopback_http=True),
        server.anon_key,
    )


@pytest.fixture
def make_client(endpoints: Endpoints, fake_time: FakeTime):
    """Build clients with a fake sleep/clock and rng()=1 (full backoff, no jitter)."""
    clients: list[PulseBackClient] = []

    def make(**kwargs) -> PulseBackClient:
        kwargs.setdefault("timeout", 2.0)
        kwargs.setdefault("sleep", fake_time.sleep)
        kwargs.setdefault("clock", fake_time.time)
        kwargs.setdefault("rng", lambda: 1.0)
        client = PulseBackClient(kwargs.pop("endpoints", endpoints), **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client) -> PulseBackClient:
    return make_client()


@pytest.fixture
def http(server: SandboxServer):
    """A plain httpx client on the sandbox for contract-level tests."""
    with httpx.Client(base_url=server.url, timeout=5.0, verify=_SSL) as c:
        yield c

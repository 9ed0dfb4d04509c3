"""The PulseBack client against a live sandbox over real HTTP on loopback.

Backoff waits go to a fake ``sleep`` (recorded in ``fake_time.sleeps``) that
also advances the clock shared with the sandbox; rng() is 1.0 unless a test
says otherwise, so waits are exactly ``min(cap, base * 2**n)``.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
from datetime import datetime

import httpx
import pytest

from agency import netguard
from clients.pulseback import (
    Endpoints,
    InvalidApiKey,
    InvalidCredentials,
    ProtocolError,
    PulseBackClient,
    PulseBackError,
    RateLimited,
    RefreshTokenRevoked,
    Rejected,
    Session,
    SessionTokenProvider,
    Unauthorized,
    Unavailable,
    expiry_margin,
)
from clients.pulseback.sandbox import DEMO_ACCOUNTS

BISTRO_EMAIL, BISTRO_PASSWORD, _ = DEMO_ACCOUNTS[0]


def provider(client: PulseBackClient, **kwargs) -> SessionTokenProvider:
    return SessionTokenProvider(client, client.sign_in(BISTRO_EMAIL, BISTRO_PASSWORD), **kwargs)


class FixedProvider:
    """Hands out fixed tokens and counts renewals."""

    def __init__(self, token: str, renewed: str):
        self.token, self.renewed, self.renew_calls = token, renewed, []

    def get(self) -> str:
        return self.token

    def renew(self, stale: str) -> str:
        self.renew_calls.append(stale)
        return self.renewed


# -------------------------------------------------------------------- Session
def test_session_from_supabase():
    data = {"access_token": "a", "refresh_token": "r", "expires_in": 3600, "expires_at": 1000 + 3600,
            "user": {"id": "u-1", "email": "x@y.test"}}  # fmt: skip
    s = Session.from_supabase(data, now=1000)
    assert (s.expires_at, s.lifetime, s.user_id, s.email) == (4600, 3600, "u-1", "x@y.test")
    del data["expires_in"]
    only_at = Session.from_supabase(data, now=1000)
    assert (only_at.expires_at, only_at.lifetime) == (4600, 3600)
    assert not s.needs_refresh(now=4600 - 61)
    assert s.needs_refresh(now=4600 - 60)
    assert s.needs_refresh(now=4600 - 200, margin=300)
    secret = Session("access-secret", "refresh-secret", 1, None, None)
    assert "secret" not in repr(secret)


def test_expires_in_wins_over_a_skewed_expires_at():
    ahead = {"access_token": "a", "refresh_token": "r", "expires_in": 300, "expires_at": 1000 + 300 + 900}
    behind = {**ahead, "expires_at": 1000 + 300 - 900}
    for data in (ahead, behind):
        s = Session.from_supabase(data, now=1000)
        assert (s.expires_at, s.lifetime, s.margin) == (1300, 300, 30)


@pytest.mark.parametrize(
    ("lifetime", "margin"), [(3600, 60), (600, 60), (300, 30), (60, 6), (10, 1), (5, 0.5), (None, 60)]
)
def test_expiry_margin_scales_with_the_lifetime(lifetime, margin):
    assert expiry_margin(lifetime) == pytest.approx(margin)
    s = Session("a", "r", 10_000, lifetime=lifetime)
    assert s.margin == pytest.approx(margin) and s.refresh_at == pytest.approx(10_000 - margin)
    assert not s.needs_refresh(now=10_000 - margin - 0.01) and s.needs_refresh(now=10_000 - margin)


def test_sessions_stored_without_a_lifetime_still_load():
    """Positional and keyword forms of before the lifetime field keep working (60 s margin)."""
    old = Session("a", "r", 5000, "u-1", "x@y.test")
    assert (
        old.lifetime is None
        and old.margin == 60
        and old
        == Session(access_token="a", refresh_token="r", expires_at=5000, user_id="u-1", email="x@y.test")
    )


@pytest.mark.parametrize(
    "data",
    [None, [], {"refresh_token": "r", "expires_in": 1}, {"access_token": "a", "expires_in": 1},
     {"access_token": "a", "refresh_token": "r"},
     {"access_token": "a", "refresh_token": "r", "expires_in": "soon"}],
)  # fmt: skip
def test_session_from_bad_supabase_json(data):
    with pytest.raises(ProtocolError):
        Session.from_supabase(data)


# ----------------------------------------------------------------------- auth
def test_sign_in_and_refresh(client, sandbox, fake_time):
    s1 = client.sign_in(BISTRO_EMAIL, BISTRO_PASSWORD)
    assert s1.email == BISTRO_EMAIL and s1.user_id
    assert s1.expires_at == int(fake_time.now) + 3600 and not s1.needs_refresh(fake_time.now)
    s2 = client.refresh(s1.refresh_token)
    assert s2.refresh_token != s1.refresh_token and s2.access_token != s1.access_token
    assert client.stats.requests == 2 and client.stats.retries == 0
    with pytest.raises(RefreshTokenRevoked) as reused:
        client.refresh(s1.refresh_token)
    assert reused.value.code == "refresh_token_already_used"
    with pytest.raises(RefreshTokenRevoked):  # the family is revoked; other error shape this time
        client.refresh(s2.refresh_token)
    with pytest.raises(RefreshTokenRevoked):
        client.refresh("never-issued")
    assert client.stats.retries == 0
    assert sandbox.get_stats()["families_revoked_on_reuse"] == 1


@pytest.mark.parametrize("shape", ["new", "old"])
def test_wrong_password_is_invalid_credentials_and_not_retried(client, sandbox, shape):
    sandbox.configure(credentials_error_shape=shape)
    with pytest.raises(InvalidCredentials) as info:
        client.sign_in(BISTRO_EMAIL, "Wrong-Secret-Passw0rd!")
    assert not isinstance(info.value, InvalidApiKey)
    assert info.value.status == 400 and info.value.code in ("invalid_credentials", "invalid_grant")
    assert "Invalid login credentials" in str(info.value) and "Wrong-Secret" not in str(info.value)
    assert client.stats.requests == 1 and client.stats.retries == 0


def test_wrong_anon_key_is_invalid_api_key(make_client, server):
    client = make_client(endpoints=Endpoints(server.api_url, server.auth_url, "not-the-anon-key"))
    with pytest.raises(InvalidApiKey) as info:
        client.sign_in(BISTRO_EMAIL, BISTRO_PASSWORD)
    assert isinstance(info.value, InvalidCredentials) and info.value.status == 401
    assert "not-the-anon-key" not in str(info.value) and "anon key" in str(info.value)
    assert client.stats.requests == 1


def test_auth_429_is_retried_with_backoff(client, sandbox, fake_time):
    sandbox.set_faults(auth_429_next=2)
    assert client.sign_in(BISTRO_EMAIL, BISTRO_PASSWORD).access_token
    assert fake_time.sleeps == [0.5, 1.0] and client.stats.retries == 2


def test_auth_429_exhausted_raises_rate_limited(make_client, sandbox, fake_time):
    client = make_client(max_retries=3)
    sandbox.set_faults(auth_429_next=100)
    with pytest.raises(RateLimited) as info:
        client.sign_in(BISTRO_EMAIL, BISTRO_PASSWORD)
    assert info.value.retry_after is None and info.value.code == "over_request_rate_limit"
    assert fake_time.sleeps == [0.5, 1.0, 2.0] and client.stats.requests == 4


def test_refresh_is_retried_on_auth_429(client, sandbox):
    session = client.sign_in(BISTRO_EMAIL, BISTRO_PASSWORD)
    sandbox.set_faults(auth_429_next=1)
    assert client.refresh(session.refresh_token).access_token
    assert client.stats.retries == 1


def test_sign_in_is_retried_on_auth_5xx(client, sandbox, fake_time):
    sandbox.set_faults(auth_5xx_next=2)
    assert client.sign_in(BISTRO_EMAIL, BISTRO_PASSWORD).access_token
    assert fake_time.sleeps == [0.5, 1.0]


def test_refresh_is_never_resent_after_an_ambiguous_failure(client, sandbox, fake_time):
    session = client.sign_in(BISTRO_EMAIL, BISTRO_PASSWORD)
    sandbox.set_faults(auth_5xx_next=1)
    with pytest.raises(Unavailable) as info:
        client.refresh(session.refresh_token)
    assert info.value.maybe_processed and client.stats.requests == 2 and fake_time.sleeps == []
    assert session.refresh_token not in str(info.value)
    assert client.refresh(session.refresh_token).access_token  # the caller decides to try again


def test_auth_argument_checks(client):
    for email, password in (("", "x"), ("a@b.test", ""), (None, "x")):
        with pytest.raises(ValueError):
            client.sign_in(email, password)
    with pytest.raises(ValueError):
        client.refresh("")
    assert client.stats.requests == 0


# ----------------------------------------------------------------------- list
@pytest.mark.parametrize(
    "filters",
    [{}, {"status": "new"}, {"status": "reviewed"}, {"status": "resolved"}, {"sentiment": "positive"},
     {"sentiment": "neutral"}, {"sentiment": "negative"}, {"days": 7}, {"days": 90},
     {"status": "resolved", "sentiment": "negative", "days": 365}],
)  # fmt: skip
def test_list_feedback_filters_match_ground_truth(client, sandbox, filters):
    now = sandbox.now()

    def keep(it):
        created = datetime.fromisoformat(it["created_at"].replace("Z", "+00:00")).timestamp()
        return (
            it["status"] == filters.get("status", it["status"])
            and it["sentiment"] == filters.get("sentiment", it["sentiment"])
            and ("days" not in filters or created >= now - filters["days"] * 86400 - 1)
        )

    expected = [it for it in sandbox.ground_truth(BISTRO_EMAIL) if keep(it)]
    tokens = provider(client)
    items, offset = [], 0
    while True:
        page = client.list_feedback(tokens, limit=50, offset=offset, **filters)
        assert page.total == len(expected) and page.limit == 50 and page.offset == offset
        items += page.items
        offset += 50
        if offset >= page.total:
            break
    assert items == expected


def test_list_feedback_defaults_and_raw_items(client, sandbox):
    tokens = provider(client)
    sandbox.inject_malformed(BISTRO_EMAIL, ["missing_id", "not_an_object"])
    page = client.list_feedback(tokens, limit=3)
    assert page.limit == 3 and len(page.items) == 3
    assert isinstance(page.items[0], str) and "id" not in page.items[1]  # raw: validating is the caller's job
    assert page.total == len(sandbox.ground_truth(BISTRO_EMAIL, include_malformed=True))


@pytest.mark.parametrize(
    "kwargs",
    [{"status": "open"}, {"sentiment": "happy"}, {"limit": 0}, {"limit": 101}, {"limit": True},
     {"limit": "10"}, {"offset": -1}, {"days": 0}, {"days": 1.5}],
)  # fmt: skip
def test_list_feedback_checks_arguments_before_any_request(client, kwargs):
    with pytest.raises(ValueError):
        client.list_feedback(FixedProvider("t", "t"), **kwargs)
    assert client.stats.requests == 0


# --------------------------------------------------------------------- create
def test_create_feedback(client, sandbox):
    item = client.create_feedback(
        provider(client), rating=5, customer_name="Jane Smith", customer_email="jane@email.com",
        customer_phone="555-1234", comment="Amazing experience! <b>wow</b> =1+1",
    )  # fmt: skip
    assert item["rating"] == 5 and item["source"] == "pos_integration" and item["status"] == "new"
    assert sandbox.ground_truth(BISTRO_EMAIL)[0] == item
    minimal = client.create_feedback(provider(client), rating=1, source="toast_integration")
    assert minimal["customer_name"] is None and minimal["source"] == "toast_integration"


def test_create_feedback_rejected_by_pulseback(client, sandbox):
    tokens = provider(client)
    before = client.stats.requests
    with pytest.raises(Rejected) as info:
        client.create_feedback(tokens, rating=4, customer_name="x" * 300)
    assert isinstance(info.value, ValueError) and info.value.status == 400
    assert "customer_name" in info.value.detail and "customer_name" in str(info.value)
    assert client.stats.requests == before + 1 and client.stats.retries == 0


@pytest.mark.parametrize("rating", [0, 6, "5", True, 4.0, None])
def test_create_feedback_checks_rating(client, rating):
    with pytest.raises(ValueError):
        client.create_feedback(FixedProvider("t", "t"), rating=rating)
    assert client.stats.requests == 0


# -------------------------------------------------------------------- retries
def test_429_retry_after_is_honoured(client, sandbox, fake_time):
    tokens = provider(client)
    sandbox.set_faults(api_429_next=2, api_429_retry_after=3)
    assert client.list_feedback(tokens).items
    assert fake_time.sleeps == [3.0, 3.0] and client.stats.retries == 2 and client.stats.waited_seconds == 6.0


def test_429_without_retry_after_backs_off(client, sandbox, fake_time):
    tokens = provider(client)
    sandbox.set_faults(api_429_next=2, api_429_retry_after=None)
    client.list_feedback(tokens)
    assert fake_time.sleeps == [0.5, 1.0]


def test_429_retry_after_beyond_the_wait_budget_is_deferred_at_once(client, sandbox, fake_time):
    tokens = provider(client)
    sandbox.set_faults(api_429_next=1, api_429_retry_after=1000)
    with pytest.raises(RateLimited) as info:
        client.list_feedback(tokens)
    assert info.value.deferred and info.value.retry_after == 1000 and info.value.status == 429
    assert info.value.retry_at == pytest.approx(fake_time.now + 1000) and fake_time.sleeps == []


def test_5xx_backoff_grows_exponentially(client, sandbox, fake_time):
    tokens = provider(client)
    sandbox.set_faults(api_5xx_next=4, api_5xx_status=502)
    assert client.list_feedback(tokens).items
    assert fake_time.sleeps == [0.5, 1.0, 2.0, 4.0]
    assert client.stats.retries == 4 and client.stats.waited_seconds == 7.5


def test_5xx_exhausted_raises_unavailable(client, sandbox, fake_time):
    tokens = provider(client)
    sent = client.stats.requests
    sandbox.set_faults(api_5xx_probability=1.0)
    with pytest.raises(Unavailable) as info:
        client.list_feedback(tokens)
    assert info.value.status == 503 and "6 attempts" in str(info.value)
    assert fake_time.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0] and client.stats.requests == sent + 6


def test_backoff_is_capped(make_client, sandbox, fake_time):
    client = make_client(backoff_cap=1.5)
    tokens = provider(client)
    sandbox.set_faults(api_5xx_probability=1.0)
    with pytest.raises(Unavailable):
        client.list_feedback(tokens)
    assert fake_time.sleeps == [0.5, 1.0, 1.5, 1.5, 1.5]


def test_backoff_is_bounded_by_max_total_wait(make_client, sandbox, fake_time):
    client = make_client(max_total_wait=3.0)
    tokens = provider(client)
    sandbox.set_faults(api_5xx_probability=1.0)
    with pytest.raises(Unavailable) as info:
        client.list_feedback(tokens)
    assert fake_time.sleeps == [0.5, 1.0] and "max_total_wait" in str(info.value)


def test_backoff_uses_full_jitter(make_client, sandbox, fake_time):
    draws = iter([0.25, 0.9, 0.1, 0.5])
    client = make_client(rng=lambda: next(draws))
    tokens = provider(client)
    sandbox.set_faults(api_5xx_next=4)
    client.list_feedback(tokens)
    assert fake_time.sleeps == [0.5 * 0.25, 1.0 * 0.9, 2.0 * 0.1, 4.0 * 0.5]


@pytest.mark.parametrize("kind", ["truncated", "html", "envelope", "empty"])
def test_malformed_answers_are_retried(client, sandbox, fake_time, kind):
    tokens = provider(client)
    sandbox.set_faults(malformed_next=2, malformed_kind=kind)
    assert client.list_feedback(tokens).items
    assert fake_time.sleeps == [0.5, 1.0]


def test_malformed_answers_exhausted_raise_protocol_error(make_client, sandbox):
    client = make_client(max_retries=2)
    tokens = provider(client)
    sandbox.set_faults(malformed_probability=1.0, malformed_kind="envelope")
    with pytest.raises(ProtocolError) as info:
        client.list_feedback(tokens)
    assert "feedback" in str(info.value) and not info.value.maybe_processed


def test_timeouts_are_retried_for_reads(make_client, sandbox, fake_time):
    client = make_client(timeout=0.3)
    tokens = provider(client)
    sandbox.set_faults(slow_ms=2000, slow_next=1)
    assert client.list_feedback(tokens).items
    assert fake_time.sleeps == [0.5] and client.stats.retries == 1


def test_create_is_not_retried_after_a_timeout(make_client, sandbox):
    client = make_client(timeout=0.3)
    tokens = provider(client)
    sandbox.set_faults(slow_ms=2000, slow_next=1)
    with pytest.raises(Unavailable) as info:
        client.create_feedback(tokens, rating=3, comment="marker-timeout")
    assert info.value.maybe_processed and "not retried" in str(info.value)
    assert client.stats.retries == 0
    created = [it for it in sandbox.ground_truth(BISTRO_EMAIL) if it["comment"] == "marker-timeout"]
    assert len(created) == 1  # PulseBack did create it: a blind retry would have duplicated it


def test_create_is_retried_on_429_and_503(client, sandbox, fake_time):
    tokens = provider(client)
    sandbox.set_faults(api_429_next=1, api_5xx_next=1, api_5xx_status=503)
    client.create_feedback(tokens, rating=4, comment="marker-retry")
    # the 429's Retry-After is a wait, not a failure: the 503 is the first backoff
    assert fake_time.sleeps == [1.0, 0.5] and client.stats.retries == 2
    assert sum(it["comment"] == "marker-retry" for it in sandbox.ground_truth(BISTRO_EMAIL)) == 1


def test_create_is_not_retried_on_500(client, sandbox):
    tokens = provider(client)
    sandbox.set_faults(api_5xx_next=1, api_5xx_status=500)
    with pytest.raises(Unavailable) as info:
        client.create_feedback(tokens, rating=4)
    assert info.value.status == 500 and info.value.maybe_processed and client.stats.retries == 0


def test_create_with_malformed_answer_is_not_retried(client, sandbox):
    tokens = provider(client)
    sandbox.set_faults(malformed_next=1)
    with pytest.raises(ProtocolError) as info:
        client.create_feedback(tokens, rating=2, comment="marker-malformed")
    assert info.value.maybe_processed and client.stats.retries == 0
    assert sum(it["comment"] == "marker-malformed" for it in sandbox.ground_truth(BISTRO_EMAIL)) == 1


def test_connection_errors_are_retried_even_for_create(make_client, fake_time):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = f"http://127.0.0.1:{port}"
    client = make_client(endpoints=Endpoints(dead + "/api", dead, "k"), max_retries=2)
    with pytest.raises(Unavailable) as info:
        client.create_feedback(FixedProvider("t", "t"), rating=5)
    assert not info.value.maybe_processed and "could not connect" in str(info.value)
    assert fake_time.sleeps == [0.5, 1.0] and client.stats.requests == 3
    with pytest.raises(Unavailable):
        client.sign_in(BISTRO_EMAIL, BISTRO_PASSWORD)


# ---------------------------------------------------------------- rate limits
@pytest.mark.parametrize("reset_format", ["seconds", "timestamp"])
def test_waits_for_reset_when_remaining_reaches_zero(client, sandbox, fake_time, reset_format):
    sandbox.configure(api_rate_limit=2, api_rate_window=30, reset_format=reset_format)
    tokens = provider(client)
    client.list_feedback(tokens)
    assert client.rate_limit.remaining == 1
    client.list_feedback(tokens)
    assert client.rate_limit.remaining == 0
    assert fake_time.now + 30 <= client.rate_limit.reset_at < fake_time.now + 31
    assert fake_time.sleeps == []
    assert client.list_feedback(tokens).items  # waits for the reset instead of hitting the wall
    assert len(fake_time.sleeps) == 1 and 30 <= fake_time.sleeps[0] < 31
    assert client.stats.retries == 0 and "api_429_limit" not in sandbox.get_stats()
    assert client.rate_limit.remaining == 1


def test_rate_limit_wait_beyond_budget_raises_without_a_request(make_client, sandbox, fake_time):
    client = make_client(wait_budget=300)
    sandbox.configure(api_rate_limit=1, api_rate_window=600, reset_format="timestamp")
    tokens = provider(client)
    client.list_feedback(tokens)
    sent, reset_at = client.stats.requests, client.rate_limit.reset_at
    with pytest.raises(RateLimited) as info:
        client.list_feedback(tokens)
    assert 599 <= info.value.retry_after <= 601 and info.value.deferred and info.value.retry_at == reset_at
    assert client.stats.requests == sent and fake_time.sleeps == []


def test_hitting_the_limit_honours_retry_after(client, sandbox, fake_time):
    sandbox.configure(api_rate_limit=1, api_rate_window=10)
    tokens = provider(client)
    client.list_feedback(tokens)
    client.rate_limit.remaining = None  # pretend the header was missing: the server answers 429
    assert client.list_feedback(tokens).items
    assert fake_time.sleeps == [10.0] and client.stats.retries == 1


# ------------------------------------------------------------------ 401 renew
def test_expired_token_is_renewed_exactly_once(client, sandbox):
    persisted: list[Session] = []
    tokens = provider(client, on_refresh=persisted.append)
    old = tokens.session
    sandbox.advance_clock(3601)
    assert client.list_feedback(tokens).items
    assert len(persisted) == 1 and tokens.session is persisted[0] and tokens.session != old
    assert client.stats.renewals == 1 and sandbox.get_stats()["refreshes"] == 1


def test_second_401_raises_unauthorized(client):
    fixed = FixedProvider("stale", "still-bad")
    with pytest.raises(Unauthorized) as info:
        client.list_feedback(fixed)
    assert fixed.renew_calls == ["stale"] and client.stats.requests == 2 and info.value.status == 401


def test_revoked_session_surfaces_refresh_token_revoked(client, sandbox):
    tokens = provider(client)
    sandbox.revoke_sessions(BISTRO_EMAIL)
    with pytest.raises(RefreshTokenRevoked):
        client.list_feedback(tokens)


# --------------------------------------------------------------- no secrets
def test_secrets_never_in_errors_or_logs(make_client, server, sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    sandbox.add_account("owner@secret.test", "Sup3r-Secret-Passw0rd", "Secret Shop", items=30)
    client = make_client()
    errors: list[PulseBackError] = []

    def expect(exc_type, fn, *args, **kwargs):
        with pytest.raises(exc_type) as info:
            fn(*args, **kwargs)
        errors.append(info.value)

    expect(InvalidCredentials, client.sign_in, "owner@secret.test", "Wrong-Secret-Passw0rd!")
    s1 = client.sign_in("owner@secret.test", "Sup3r-Secret-Passw0rd")
    s2 = client.refresh(s1.refresh_token)
    expect(RefreshTokenRevoked, client.refresh, s1.refresh_token)
    s3 = client.sign_in("owner@secret.test", "Sup3r-Secret-Passw0rd")
    tokens = SessionTokenProvider(client, s3)
    sandbox.set_faults(api_5xx_next=2, malformed_next=1)
    client.list_feedback(tokens)
    sandbox.advance_clock(3601)
    client.list_feedback(tokens)  # 401 -> refresh -> retry
    expect(Rejected, client.create_feedback, tokens, rating=3, customer_name="n" * 500)
    expect(Unauthorized, client.list_feedback, FixedProvider(s1.access_token, s2.access_token))
    sandbox.set_faults(api_5xx_probability=1.0)
    expect(Unavailable, client.list_feedback, tokens)
    bad_key = make_client(endpoints=Endpoints(server.api_url, server.auth_url, "Secret-Anon-Key-Value"))
    expect(InvalidApiKey, bad_key.sign_in, "owner@secret.test", "Sup3r-Secret-Passw0rd")

    secrets = ["Sup3r-Secret-Passw0rd", "Wrong-Secret-Passw0rd!", "Secret-Anon-Key-Value"]
    for s in (s1, s2, s3, tokens.session):
        secrets += [s.access_token, s.refresh_token]
        assert s.access_token not in repr(s) and s.refresh_token not in repr(s)
    texts = [caplog.text] + [f"{e!s} {e!r}" for e in errors]
    assert "retry" in caplog.text  # the client did log
    for text in texts:
        for secret in secrets:
            assert secret not in text


# ---------------------------------------------------------------- lifecycle
def test_client_owns_only_its_own_http_client(endpoints):
    with PulseBackClient(endpoints) as owned:
        inner = owned._http
    assert inner.is_closed
    shared = httpx.Client()
    PulseBackClient(endpoints, http=shared).close()
    assert not shared.is_closed
    shared.close()
    assert "anon" not in repr(PulseBackClient(endpoints, http=shared))


# ------------------------------------------------------ waits are not failures
def test_six_429s_with_retry_after_succeed(make_client, sandbox, fake_time):
    client = make_client(max_retries=5)
    tokens = provider(client)
    sandbox.set_faults(api_429_next=6, api_429_retry_after=1)
    assert client.list_feedback(tokens).items
    assert fake_time.sleeps == [1.0] * 6
    assert client.stats.server_waits == 6 and client.stats.server_waited_seconds == 6.0


def test_named_waits_do_not_count_against_max_retries(make_client, sandbox, fake_time):
    client = make_client(max_retries=2)
    tokens = provider(client)
    sandbox.set_faults(api_429_next=3, api_429_retry_after=2, api_5xx_next=2)
    assert client.list_feedback(tokens).items
    assert fake_time.sleeps == [2.0, 2.0, 2.0, 0.5, 1.0] and client.stats.retries == 5
    sandbox.set_faults(api_429_next=3, api_429_retry_after=2, api_5xx_next=3)
    with pytest.raises(Unavailable) as info:
        client.list_feedback(tokens)
    assert "gave up after 3 attempts" in str(info.value)


def test_the_wait_budget_is_per_client_and_defers_past_it(make_client, sandbox, fake_time):
    client = make_client(wait_budget=5)
    tokens = provider(client)
    sandbox.set_faults(api_429_next=2, api_429_retry_after=2)
    client.list_feedback(tokens)
    sandbox.set_faults(api_429_next=1, api_429_retry_after=2)
    with pytest.raises(RateLimited) as info:
        client.list_feedback(tokens)  # 4 s of the 5 s budget are spent
    assert info.value.deferred and info.value.retry_at == pytest.approx(fake_time.now + 2)
    assert fake_time.sleeps == [2.0, 2.0] and "wait budget" in str(info.value)


class Scripted:
    """An httpx.MockTransport answering with a scripted list of (status, headers)."""

    def __init__(self, *answers: tuple[int, dict[str, str]]):
        self.answers = list(answers)
        self.requests = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        status, headers = self.answers.pop(0) if self.answers else (200, {})
        body = {"feedback": [], "total": 0, "limit": 100, "offset": 0} if status == 200 else {"error": "x"}
        return httpx.Response(status, headers=headers, json=body)


@pytest.fixture
def scripted_client(make_client):
    def make(*answers, **kwargs):
        script = Scripted(*answers)
        http = httpx.Client(transport=httpx.MockTransport(script))
        client = make_client(
            endpoints=Endpoints("https://api.pulseback.test/api", "https://auth.pulseback.test", "k"),
            http=http,
            **kwargs,
        )
        return client, script

    return make


def test_a_429_with_an_exhausted_rate_limit_waits_for_its_reset(scripted_client, fake_time):
    client, script = scripted_client(
        (429, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "7"}), max_retries=0
    )
    assert client.list_feedback(FixedProvider("t", "t")).total == 0
    assert fake_time.sleeps == [7.0] and script.requests == 2


def test_a_503_with_retry_after_is_a_wait(scripted_client, fake_time):
    client, script = scripted_client((503, {"Retry-After": "2"}), (503, {"Retry-After": "0"}), max_retries=0)
    assert client.list_feedback(FixedProvider("t", "t")).total == 0
    assert fake_time.sleeps == [2.0, 0.5] and script.requests == 3  # "0" is taken as backoff_base


def test_retry_after_zero_forever_ends_with_the_wait_budget(scripted_client, fake_time):
    client, script = scripted_client(*[(429, {"Retry-After": "0"})] * 10, wait_budget=3)
    with pytest.raises(RateLimited) as info:
        client.list_feedback(FixedProvider("t", "t"))
    assert info.value.deferred and fake_time.sleeps == [0.5] * 3 and script.requests == 4


def test_a_503_with_retry_after_beyond_the_budget_is_deferred(scripted_client, fake_time):
    client, _ = scripted_client((503, {"Retry-After": "3600"}), wait_budget=60)
    with pytest.raises(RateLimited) as info:
        client.list_feedback(FixedProvider("t", "t"))
    assert info.value.deferred and info.value.status == 503 and info.value.retry_after == 3600
    assert fake_time.sleeps == []


def test_a_429_without_a_named_wait_counts_as_a_failure(scripted_client, fake_time):
    client, _ = scripted_client((429, {"X-RateLimit-Remaining": "3"}), (429, {}), max_retries=1)
    with pytest.raises(RateLimited) as info:
        client.list_feedback(FixedProvider("t", "t"))
    assert not info.value.deferred and info.value.retry_at is None and fake_time.sleeps == [0.5]


# ------------------------------------------------------- short-lived tokens
def test_ten_second_tokens_are_refreshed_one_second_early(client, sandbox, fake_time):
    sandbox.configure(expires_in=10)
    fake_time.now = float(int(fake_time.now))  # expiry times are whole seconds
    persisted: list[Session] = []
    tokens = provider(client, on_refresh=persisted.append)
    assert tokens.session.lifetime == 10 and tokens.session.margin == 1
    fake_time.now += 8.9
    client.list_feedback(tokens)
    assert persisted == []
    fake_time.now += 0.2  # 9.1 s: within the 1 s margin
    client.list_feedback(tokens)
    fake_time.now += 9.1
    client.list_feedback(tokens)
    assert len(persisted) == 2 and client.stats.renewals == 0
    assert sandbox.get_stats().get("api_401", 0) == 0 and sandbox.get_stats()["refreshes"] == 2


def test_expires_in_is_trusted_when_pulseback_clock_is_ahead(client, sandbox, fake_time):
    sandbox.advance_clock(900)
    session = client.sign_in(BISTRO_EMAIL, BISTRO_PASSWORD)
    assert session.expires_at == int(fake_time.now) + 3600 and session.lifetime == 3600


def test_a_spent_refresh_token_falls_back_to_one_sign_in(client, sandbox):
    persisted: list[Session] = []
    tokens = provider(
        client, on_refresh=persisted.append, sign_in=lambda: client.sign_in(BISTRO_EMAIL, BISTRO_PASSWORD)
    )
    client.refresh(tokens.session.refresh_token)  # another worker spent it
    sandbox.advance_clock(3601)
    assert client.list_feedback(tokens).items
    assert len(persisted) == 1 and tokens.session is persisted[0] and client.stats.renewals == 1
    stats = sandbox.get_stats()
    assert stats["sign_ins"] == 2 and stats["families_revoked_on_reuse"] == 1


def test_the_sign_in_fallback_is_tried_once(client, sandbox):
    calls = []

    def sign_in():
        calls.append(1)
        return client.sign_in(BISTRO_EMAIL, "Wrong-Secret-Passw0rd!")

    tokens = provider(client, sign_in=sign_in)
    sandbox.revoke_sessions(BISTRO_EMAIL)
    with pytest.raises(InvalidCredentials):
        client.list_feedback(tokens)
    assert calls == [1]


# -------------------------------------------------- outbound address guard
def test_client_over_the_netguard_transport(endpoints, make_client, fake_time):
    guarded = make_client(transport=netguard.transport(allow_loopback=True))
    assert guarded.list_feedback(provider(guarded)).items
    refused = make_client(transport=netguard.transport(allow_loopback=False))
    with pytest.raises(Unavailable) as info:
        refused.sign_in(BISTRO_EMAIL, BISTRO_PASSWORD)
    assert "not sent" in str(info.value) and "loopback" in str(info.value)
    assert not info.value.maybe_processed and refused.stats.requests == 1 and fake_time.sleeps == []
    with pytest.raises(ValueError):
        PulseBackClient(endpoints, http=httpx.Client(), transport=netguard.transport(allow_loopback=True))


def test_the_client_package_is_the_lowest_layer():
    """No Django, no other project package, and not the sandbox."""
    code = (
        "import sys, clients.pulseback\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'agency', 'reports')\n"
        "             or (m.startswith('clients.') and not m.startswith('clients.pulseback'))\n"
        "             or m.startswith('clients.pulseback.sandbox'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

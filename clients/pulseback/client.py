"""HTTP client of PulseBack's API and of the Supabase Auth it signs in with.

Pure Python (httpx), no Django, nothing else of the project: the lowest layer.
One :class:`PulseBackClient` owns one ``httpx.Client`` (a keep-alive pool) and
serves one worker/sync at a time (it is not thread-safe). Retries, waits and
token renewal follow the policy in :mod:`clients.pulseback.execute`. Address
checks (SSRF) are the caller's: pass ``transport=`` (or ``http=``) built on the
portal's outbound guard.
"""

from __future__ import annotations

import json
import logging
import random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any

import httpx

from .errors import (
    InvalidApiKey,
    InvalidCredentials,
    PulseBackError,
    RefreshTokenRevoked,
    Rejected,
    Unauthorized,
)
from .execute import ClientStats, Executor, Op
from .parsing import FeedbackPage, RateLimitState, is_int, parse_created, parse_page
from .session import AccessTokenProvider, Session

logger = logging.getLogger("clients.pulseback")

STATUSES = ("new", "reviewed", "resolved")
SENTIMENTS = ("positive", "neutral", "negative")
MAX_PAGE_SIZE = 100
USER_AGENT = "pulseback-portal/0.1"
POOL_LIMITS = httpx.Limits(max_connections=10, max_keepalive_connections=10, keepalive_expiry=30.0)


@dataclass(frozen=True)
class Endpoints:
    """Where PulseBack lives: API base (``.../api``), Supabase auth base, anon key (unchecked)."""

    api_url: str
    auth_url: str
    anon_key: str = field(repr=False)


@lru_cache(maxsize=1)
def _shared_ssl_context() -> ssl.SSLContext:
    """One verifying SSL context (certifi's CAs) for every client: building one
    costs ~20 ms, and contexts are safe to share between threads."""
    return httpx.create_ssl_context()


class PulseBackClient:
    """PulseBack API + Supabase auth over one keep-alive ``httpx.Client``.

    ``http``: a caller-owned client (not closed here); else one is built on
    ``transport`` (e.g. an address-checking one, which brings its own TLS
    settings and pool limits: ``POOL_LIMITS`` suit) or on a verifying default,
    and closed by :meth:`close`. ``wait_budget``: seconds of server-named waits
    this client may sleep in all (see the retry policy).
    """

    def __init__(
        self,
        endpoints: Endpoints,
        *,
        http: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        max_total_wait: float = 120.0,
        wait_budget: float = 900.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
    ):
        if min(max_retries, backoff_base, backoff_cap, max_total_wait, wait_budget) < 0 or timeout <= 0:
            raise ValueError("timeouts, retry counts and waits must not be negative")
        if http is not None and transport is not None:
            raise ValueError("pass either http or transport, not both")
        self.endpoints = endpoints
        self._api = endpoints.api_url.rstrip("/")
        self._auth = endpoints.auth_url.rstrip("/")
        self.clock = clock
        http_timeout = httpx.Timeout(timeout, connect=min(timeout, 5.0))
        self._owns_http = http is None
        if http is None:
            http = httpx.Client(
                transport=transport or httpx.HTTPTransport(verify=_shared_ssl_context(), limits=POOL_LIMITS),
                timeout=http_timeout,
                follow_redirects=False,  # never carry the apikey or a token to another host
            )
        self._http = http
        self._executor = Executor(
            http,
            timeout=http_timeout,
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            max_total_wait=max_total_wait,
            wait_budget=wait_budget,
            sleep=sleep,
            clock=clock,
            rng=rng,
        )

    @property
    def stats(self) -> ClientStats:
        return self._executor.stats

    @property
    def rate_limit(self) -> RateLimitState:
        return self._executor.rate_limit

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> PulseBackClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PulseBackClient(api={self._api!r}, auth={self._auth!r})"

    # ----------------------------------------------------------------- auth
    def _auth_headers(self) -> dict[str, str]:
        return {
            "apikey": self.endpoints.anon_key,
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }

    def sign_in(self, email: str, password: str) -> Session:
        """Password sign-in. Raises InvalidCredentials (never retried), InvalidApiKey,
        RateLimited (auth 429 after retries), Unavailable, ProtocolError."""
        if not isinstance(email, str) or not email.strip() or not isinstance(password, str) or not password:
            raise ValueError("email and password are required")
        body = json.dumps({"email": email.strip(), "password": password}).encode()
        return self._auth_call("password", "sign-in", body, (password,), idempotent=True)

    def refresh(self, refresh_token: str) -> Session:
        """Trade a refresh token for a new session (tokens rotate: persist the
        result before using it). Raises RefreshTokenRevoked (sign in again)."""
        if not isinstance(refresh_token, str) or not refresh_token:
            raise ValueError("refresh_token is required")
        body = json.dumps({"refresh_token": refresh_token}).encode()
        return self._auth_call("refresh_token", "token refresh", body, (refresh_token,), idempotent=False)

    def _auth_call(
        self, grant: str, what: str, body: bytes, secrets: tuple[str, ...], *, idempotent: bool
    ) -> Session:
        label = f"PulseBack {what}"
        op = Op(
            label=label,
            method="POST",
            url=f"{self._auth}/auth/v1/token",
            params={"grant_type": grant},
            body=body,
            api=False,
            idempotent=idempotent,
            parse=lambda data: Session.from_supabase(data, now=self.clock()),
            client_error=partial(self._auth_error, grant, label),
            headers=self._auth_headers(),
            secrets=(*secrets, self.endpoints.anon_key),
            # A refresh token is spent once GoTrue processes it: only a 429 (or a
            # connect error) proves it was not, so only those are retried.
            not_processed=(429,),
        )
        session = self._executor.run(op)
        logger.info("%s succeeded (user %s)", label, session.user_id or "?")
        return session

    @staticmethod
    def _auth_error(grant: str, label: str, status: int, code: str | None, msg: str | None) -> PulseBackError:
        detail = f"HTTP {status}" + (f", {code}" if code else "") + (f": {msg}" if msg else "")
        if status == 401:
            return InvalidApiKey(
                f"{label} refused the anon key ({detail}); check the PulseBack anon key setting",
                status=status,
                code=code,
            )
        if grant == "refresh_token" and status in (400, 403, 404, 422):
            return RefreshTokenRevoked(
                f"{label}: refresh token not accepted ({detail}); sign in again", status=status, code=code
            )
        if grant == "password" and status in (400, 403, 422):
            return InvalidCredentials(f"{label} refused ({detail})", status=status, code=code)
        return Rejected(f"{label} rejected ({detail})", detail=msg, status=status, code=code)

    # ------------------------------------------------------------------ API
    def _api_headers(self, json_body: bool = False) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if json_body:
            headers["Content-Type"] = "application/json"
        return headers

    @staticmethod
    def _api_error(label: str, status: int, code: str | None, msg: str | None) -> PulseBackError:
        detail = f"HTTP {status}" + (f": {msg}" if msg else (f", {code}" if code else ""))
        if status == 403:
            return Unauthorized(f"{label}: forbidden ({detail})", status=status, code=code)
        return Rejected(f"{label} rejected ({detail})", detail=msg, status=status, code=code)

    def list_feedback(
        self,
        access_token_provider: AccessTokenProvider,
        *,
        status: str | None = None,
        sentiment: str | None = None,
        limit: int = 100,
        offset: int = 0,
        days: int | None = None,
    ) -> FeedbackPage:
        """One page of ``GET {api}/feedback``, newest first. The envelope is
        validated (else ProtocolError, retried first); items are returned raw."""
        if status is not None and status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        if sentiment is not None and sentiment not in SENTIMENTS:
            raise ValueError(f"sentiment must be one of {', '.join(SENTIMENTS)}")
        if not is_int(limit) or not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be an integer from 1 to {MAX_PAGE_SIZE}")
        if not is_int(offset) or offset < 0:
            raise ValueError("offset must be a non-negative integer")
        if days is not None and (not is_int(days) or days < 1):
            raise ValueError("days must be a positive integer")
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        for name, value in (("status", status), ("sentiment", sentiment), ("days", days)):
            if value is not None:
                params[name] = value
        label = "PulseBack GET /feedback"
        op = Op(
            label=label,
            method="GET",
            url=f"{self._api}/feedback",
            params=params,
            api=True,
            idempotent=True,
            parse=partial(parse_page, limit=limit, offset=offset),
            client_error=partial(self._api_error, label),
            headers=self._api_headers(),
            secrets=(),
            provider=access_token_provider,
        )
        return self._executor.run(op)

    def create_feedback(
        self,
        access_token_provider: AccessTokenProvider,
        *,
        rating: int,
        customer_name: str | None = None,
        customer_email: str | None = None,
        customer_phone: str | None = None,
        comment: str | None = None,
        source: str = "pos_integration",
    ) -> dict:
        """``POST {api}/feedback``; returns the created item (200 or 201).

        Not idempotent: retried only when the request certainly was not acted
        on (connect errors, 429, 503). A timeout, other 5xx or malformed answer
        raises at once with ``maybe_processed=True``. Invalid input -> Rejected.
        """
        if not is_int(rating) or not 1 <= rating <= 5:
            raise ValueError("rating must be an integer from 1 to 5")
        payload: dict[str, Any] = {"rating": rating, "source": source}
        for name, value in (
            ("customer_name", customer_name),
            ("customer_email", customer_email),
            ("customer_phone", customer_phone),
            ("comment", comment),
        ):
            if value is not None:
                if not isinstance(value, str):
                    raise ValueError(f"{name} must be a string")
                payload[name] = value
        label = "PulseBack POST /feedback"
        op = Op(
            label=label,
            method="POST",
            url=f"{self._api}/feedback",
            body=json.dumps(payload, ensure_ascii=False).encode(),
            api=True,
            idempotent=False,
            parse=parse_created,
            client_error=partial(self._api_error, label),
            headers=self._api_headers(json_body=True),
            secrets=(),
            provider=access_token_provider,
            ok=(200, 201),
        )
        return self._executor.run(op)

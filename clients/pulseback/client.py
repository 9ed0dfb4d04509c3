"""HTTP client of PulseBack's API and of the Supabase Auth it signs in with.

Pure Python (httpx), no Django. One :class:`PulseBackClient` owns one
``httpx.Client`` (a keep-alive pool) and is meant for one worker/sync at a
time (it is not thread-safe: stats and rate-limit state are plain fields).

Retry policy
------------
* Transient failures are retried with bounded exponential backoff and full
  jitter: ``min(backoff_cap, backoff_base * 2**n) * rng()`` before retry
  ``n + 1``, at most ``max_retries`` retries and at most ``max_total_wait``
  seconds of waiting per call; then the typed error is raised.
* Transient: 429 (``Retry-After`` honoured when present; Supabase's auth 429
  has none), 5xx, timeouts, transport errors, bodies that are not valid JSON
  or whose envelope is wrong.
* Never retried: wrong credentials, spent refresh tokens, other 4xx.
* Non-idempotent calls are retried only when the request certainly was not
  acted on: connection errors before sending (``ConnectError``,
  ``ConnectTimeout``, pool timeout) and 429, plus 503 for ``create_feedback``.
  ``refresh`` counts as non-idempotent because refresh tokens are single-use.
  After a read timeout, another 5xx or a malformed success body the outcome is
  unknown: the error is raised at once with ``maybe_processed=True`` (a
  retried POST could duplicate feedback; a retried refresh could re-send a
  spent token and get the whole session family revoked).
* ``X-RateLimit-Remaining``/``X-RateLimit-Reset`` are read on every API answer
  (Reset above 10**9 is a Unix timestamp, else seconds from now). When
  Remaining reached 0, the next API request first sleeps until Reset (within
  ``max_total_wait``; else :class:`RateLimited` is raised without a request).
* A 401 from the API calls ``provider.renew(stale)`` exactly once and retries
  the request once; a second 401 raises :class:`Unauthorized`.
"""

from __future__ import annotations

import email.utils
import functools
import ipaddress
import json
import logging
import math
import random
import re
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx

from .errors import (
    InvalidApiKey,
    InvalidCredentials,
    ProtocolError,
    PulseBackError,
    RateLimited,
    RefreshTokenRevoked,
    Rejected,
    Unauthorized,
    Unavailable,
)

logger = logging.getLogger("clients.pulseback")

STATUSES = ("new", "reviewed", "resolved")
SENTIMENTS = ("positive", "neutral", "negative")
MAX_PAGE_SIZE = 100
USER_AGENT = "pulseback-portal/0.1"
_RESET_TIMESTAMP_THRESHOLD = 10**9

# ------------------------------------------------------------------ addresses
_LOOSE_IPV4 = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}")
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_METADATA_HOSTS = frozenset(
    {"metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal"}
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IP = ipaddress.IPv4Address | ipaddress.IPv6Address


def _literal_ip(host: str) -> _IP | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LOOSE_IPV4.fullmatch(host):  # 127.1, 0x7f.0.0.1, 2130706433: what inet_aton accepts
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            raise ValueError(f"endpoint URL host {host!r} is not a valid address") from None
    return None


def _effective_ip(ip: _IP) -> _IP:
    """The IPv4 address an IPv6 literal embeds (mapped, NAT64, 6to4), else ``ip``."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if ip.sixtofour is not None:
            return ip.sixtofour
    return ip


def address_is_public(ip: _IP | str) -> bool:
    """A public address: not loopback, private, link-local, metadata, multicast or reserved, also
    when an IPv6 address embeds an IPv4 one. (Outbound webhooks check addresses with it too.)"""
    eff = _effective_ip(ipaddress.ip_address(ip) if isinstance(ip, str) else ip)
    return eff.is_global and not (
        eff.is_multicast or eff.is_reserved or eff.is_unspecified or eff.is_link_local
    )


def check_endpoint_url(url: str, *, allow_loopback_http: bool) -> str:
    """Validate and normalize a PulseBack/Supabase base URL, or raise ``ValueError``.

    https with a host name is required. Plain http is accepted only when
    ``allow_loopback_http`` is set and the host is loopback (127.0.0.0/8, ::1,
    ``localhost``): the sandbox. Refused: user info, query, fragment, and
    https to a literal private/loopback/link-local/metadata address (unless
    it is loopback and ``allow_loopback_http`` is set). No DNS lookups.
    Returns e.g. ``https://api.example.com/api`` (lower-case scheme and host,
    default port and trailing slash dropped).
    """
    if not isinstance(url, str):
        raise ValueError("endpoint URL must be a string")
    url = url.strip()
    if not url:
        raise ValueError("endpoint URL is empty")
    if any(ord(ch) < 0x21 or ch in "\x7f\\" for ch in url):
        raise ValueError("endpoint URL must not contain spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ValueError("endpoint URL is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise ValueError(
            f"endpoint URL must start with https:// (got {scheme + '://' if scheme else 'no scheme'})"
        )
    if "@" in parts.netloc:
        raise ValueError("endpoint URL must not contain a user name or password")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("endpoint URL has an invalid port") from None
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise ValueError("endpoint URL must not contain a query string or fragment")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValueError("endpoint URL has no host name")
    if port == 0:
        raise ValueError("endpoint URL has an invalid port")
    if "%" in host:
        raise ValueError("endpoint URL host must not contain escapes or an IPv6 zone")
    ip = _literal_ip(host)
    if ip is None:
        if ":" in host:
            raise ValueError(f"endpoint URL host {host!r} is not a valid IPv6 address")
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"endpoint URL host {host!r} is not a valid host name") from None
        if not all(_LABEL.fullmatch(label) for label in host.split(".")):
            raise ValueError(f"endpoint URL host {host!r} is not a valid host name")
    loopback = host == "localhost" or (ip is not None and _effective_ip(ip).is_loopback)
    sandbox_ok = allow_loopback_http and loopback
    if scheme == "http" and not sandbox_ok:
        raise ValueError(
            "endpoint URL must use https; plain http is allowed only for a loopback sandbox "
            "(127.0.0.1, ::1, localhost) when loopback http is enabled"
        )
    if scheme == "https" and not sandbox_ok:
        if ip is not None and not address_is_public(ip):
            raise ValueError(f"endpoint URL host {ip} is a private, loopback, link-local or metadata address")
        if ip is None and (loopback or host in _METADATA_HOSTS):
            raise ValueError(f"endpoint URL host {host!r} is a loopback or metadata host")
    if ip is not None:
        host = f"[{ip.compressed}]" if ip.version == 6 else str(ip)
    netloc = host if port is None or port == (443 if scheme == "https" else 80) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), "", ""))


@dataclass(frozen=True)
class Endpoints:
    """Where PulseBack lives: API base (``.../api``), Supabase auth base, anon key."""

    api_url: str
    auth_url: str
    anon_key: str = field(repr=False)

    def checked(self, *, allow_loopback_http: bool) -> Endpoints:
        """A copy with both URLs validated by :func:`check_endpoint_url`."""
        if not isinstance(self.anon_key, str) or not self.anon_key.strip():
            raise ValueError("PulseBack anon key is empty")
        return Endpoints(
            check_endpoint_url(self.api_url, allow_loopback_http=allow_loopback_http),
            check_endpoint_url(self.auth_url, allow_loopback_http=allow_loopback_http),
            self.anon_key.strip(),
        )


# ------------------------------------------------------------------- sessions
def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class Session:
    """A Supabase session. Tokens are left out of ``repr``."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: int  # Unix seconds
    user_id: str | None = None
    email: str | None = None

    @classmethod
    def from_supabase(cls, data: Any, *, now: float | None = None) -> Session:
        """Parse Supabase's session JSON (``expires_at``, else now + ``expires_in``)."""
        if not isinstance(data, Mapping):
            raise ProtocolError("session answer is not a JSON object")
        access, refresh = data.get("access_token"), data.get("refresh_token")
        if not isinstance(access, str) or not access:
            raise ProtocolError("session answer has no access_token")
        if not isinstance(refresh, str) or not refresh:
            raise ProtocolError("session answer has no refresh_token")
        expires_at = data.get("expires_at")
        if _is_number(expires_at) and expires_at > 0:
            expires_at = int(expires_at)
        else:
            expires_in = data.get("expires_in")
            if not (_is_number(expires_in) and expires_in > 0):
                raise ProtocolError("session answer has neither expires_at nor expires_in")
            expires_at = int((time.time() if now is None else now) + expires_in)
        user = data.get("user")
        user = user if isinstance(user, Mapping) else {}
        user_id = user.get("id") if isinstance(user.get("id"), str) else None
        email_ = user.get("email") if isinstance(user.get("email"), str) else None
        return cls(access, refresh, expires_at, user_id, email_)

    def needs_refresh(self, now: float | None = None, margin: float = 60) -> bool:
        """True when the access token expires within ``margin`` seconds."""
        return (time.time() if now is None else now) >= self.expires_at - margin


class AccessTokenProvider(Protocol):
    def get(self) -> str:
        """A current access token."""

    def renew(self, stale_token: str) -> str:
        """A fresh access token after ``stale_token`` got a 401 (refresh or sign in)."""


class SessionTokenProvider:
    """A simple :class:`AccessTokenProvider` over a :class:`Session`.

    ``renew`` refreshes through ``client`` and hands the new session to
    ``on_refresh`` (which must persist it) before the new token is used.
    """

    def __init__(
        self, client: PulseBackClient, session: Session, on_refresh: Callable[[Session], None] | None = None
    ):
        self.client = client
        self.session = session
        self.on_refresh = on_refresh

    def get(self) -> str:
        return self.session.access_token

    def renew(self, stale_token: str) -> str:
        if stale_token != self.session.access_token:  # already renewed meanwhile
            return self.session.access_token
        new = self.client.refresh(self.session.refresh_token)
        if self.on_refresh is not None:
            self.on_refresh(new)
        self.session = new
        return new.access_token


# ---------------------------------------------------------------- the client
@dataclass
class ClientStats:
    requests: int = 0  # HTTP requests sent (attempts)
    retries: int = 0  # retries after transient failures
    waited_seconds: float = 0.0  # backoff and rate-limit waits
    renewals: int = 0  # access-token renewals after a 401


@dataclass
class RateLimitState:
    remaining: int | None = None
    reset_at: float | None = None  # Unix seconds


@dataclass(frozen=True)
class FeedbackPage:
    items: list[dict]  # raw items, unvalidated: validating each is the caller's job
    total: int
    limit: int
    offset: int


@dataclass
class _Op:
    label: str
    method: str
    url: str
    api: bool
    idempotent: bool
    parse: Callable[[Any], Any]
    client_error: Callable[[int, str | None, str | None], PulseBackError]
    headers: dict[str, str]
    secrets: tuple[str, ...]
    params: dict[str, Any] | None = None
    body: bytes | None = None
    provider: AccessTokenProvider | None = None
    ok: tuple[int, ...] = (200,)
    # Statuses that prove a non-idempotent request was not acted on (retried).
    not_processed: tuple[int, ...] = (429, 503)


_CODE = re.compile(r"[a-z0-9_]{1,64}")


def _clean(text: str | None, secrets: tuple[str, ...]) -> str | None:
    """Server-provided text made safe for messages: secrets redacted, one line, short."""
    if not text:
        return None
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()
    return text[:200] + ("..." if len(text) > 200 else "")


def _error_details(resp: httpx.Response) -> tuple[str | None, str | None]:
    """(error code, message) from either Supabase shape or a PulseBack JSON error."""
    try:
        data = json.loads(resp.content)
    except ValueError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    code = message = None
    for key in ("error_code", "error", "code"):
        value = data.get(key)
        if isinstance(value, str) and _CODE.fullmatch(value):
            code = value
            break
    for key in ("msg", "message", "error_description", "error", "detail"):
        value = data.get(key)
        if isinstance(value, str) and value and value != code:
            message = value
            break
    return code, message


def _retry_after(resp: httpx.Response, now: float) -> float | None:
    raw = resp.headers.get("Retry-After")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        try:
            value = email.utils.parsedate_to_datetime(raw).timestamp() - now
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return max(0.0, value) if math.isfinite(value) else None


def _load_json(resp: httpx.Response) -> Any:
    try:
        return json.loads(resp.content)
    except ValueError:
        raise ProtocolError("answer is not valid JSON") from None


class PulseBackClient:
    """PulseBack API + Supabase auth over one keep-alive ``httpx.Client``."""

    def __init__(
        self,
        endpoints: Endpoints,
        *,
        http: httpx.Client | None = None,
        timeout: float = 10.0,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        max_total_wait: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
    ):
        if max_retries < 0 or backoff_base < 0 or backoff_cap < 0 or max_total_wait < 0 or timeout <= 0:
            raise ValueError("timeouts, retry counts and waits must not be negative")
        self.endpoints = endpoints
        self._api = endpoints.api_url.rstrip("/")
        self._auth = endpoints.auth_url.rstrip("/")
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_total_wait = max_total_wait
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 5.0))
        self._owns_http = http is None
        self._http = http or httpx.Client(
            timeout=self._timeout,
            verify=_shared_ssl_context(),
            follow_redirects=False,  # never carry the apikey or a token to another host
            limits=httpx.Limits(max_connections=10, max_keepalive_connections=10, keepalive_expiry=30.0),
        )
        self.stats = ClientStats()
        self.rate_limit = RateLimitState()

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
        op = _Op(
            label=label,
            method="POST",
            url=f"{self._auth}/auth/v1/token",
            params={"grant_type": grant},
            body=body,
            api=False,
            idempotent=idempotent,
            parse=lambda data: Session.from_supabase(data, now=self._clock()),
            client_error=partial(self._auth_error, grant, label),
            headers=self._auth_headers(),
            secrets=(*secrets, self.endpoints.anon_key),
            # A refresh token is spent once GoTrue processes it: only a 429 (or a
            # connect error) proves it was not, so only those are retried.
            not_processed=(429,),
        )
        session = self._execute(op)
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
        if not _is_int(limit) or not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be an integer from 1 to {MAX_PAGE_SIZE}")
        if not _is_int(offset) or offset < 0:
            raise ValueError("offset must be a non-negative integer")
        if days is not None and (not _is_int(days) or days < 1):
            raise ValueError("days must be a positive integer")
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        for name, value in (("status", status), ("sentiment", sentiment), ("days", days)):
            if value is not None:
                params[name] = value
        label = "PulseBack GET /feedback"
        op = _Op(
            label=label,
            method="GET",
            url=f"{self._api}/feedback",
            params=params,
            api=True,
            idempotent=True,
            parse=partial(_parse_page, limit=limit, offset=offset),
            client_error=partial(self._api_error, label),
            headers=self._api_headers(),
            secrets=(),
            provider=access_token_provider,
        )
        return self._execute(op)

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
        if not _is_int(rating) or not 1 <= rating <= 5:
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
        op = _Op(
            label=label,
            method="POST",
            url=f"{self._api}/feedback",
            body=json.dumps(payload, ensure_ascii=False).encode(),
            api=True,
            idempotent=False,
            parse=_parse_created,
            client_error=partial(self._api_error, label),
            headers=self._api_headers(json_body=True),
            secrets=(),
            provider=access_token_provider,
            ok=(200, 201),
        )
        return self._execute(op)

    # ------------------------------------------------------------ machinery
    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._sleep(seconds)
            self.stats.waited_seconds += seconds

    def _note_rate_limit(self, resp: httpx.Response) -> None:
        raw_remaining = resp.headers.get("X-RateLimit-Remaining")
        raw_reset = resp.headers.get("X-RateLimit-Reset")
        if raw_remaining is None and raw_reset is None:
            return
        try:
            remaining = int(float(raw_remaining)) if raw_remaining is not None else None
        except (ValueError, OverflowError):
            remaining = None
        try:
            reset = float(raw_reset) if raw_reset is not None else None
        except ValueError:
            reset = None
        reset_at = None
        if reset is not None and math.isfinite(reset) and reset >= 0:
            reset_at = reset if reset > _RESET_TIMESTAMP_THRESHOLD else self._clock() + reset
        self.rate_limit = RateLimitState(remaining, reset_at)

    def _await_rate_limit(self, label: str, waited: float) -> float:
        """Sleep until Reset when the last answer said Remaining 0; returns the wait."""
        rl = self.rate_limit
        if rl.remaining is None or rl.remaining > 0 or rl.reset_at is None:
            return 0.0
        wait = rl.reset_at - self._clock()
        if wait > 0:
            if waited + wait > self.max_total_wait:
                raise RateLimited(
                    f"{label}: rate limit exhausted; it resets in {wait:.0f}s, beyond max_total_wait",
                    retry_after=wait,
                    status=None,
                )
            logger.info("%s: rate limit exhausted, waiting %.2fs for its reset", label, wait)
            self._wait(wait)
        self.rate_limit = RateLimitState(None, None)
        return max(0.0, wait)

    def _execute(self, op: _Op) -> Any:
        waited = 0.0
        failures = 0
        renewed = False
        token = op.provider.get() if op.provider is not None else None
        while True:
            secrets = op.secrets + ((token,) if token else ())
            if op.api:
                waited += self._await_rate_limit(op.label, waited)
            headers = dict(op.headers)
            if token is not None:
                headers["Authorization"] = f"Bearer {token}"
            self.stats.requests += 1
            started = time.perf_counter()
            failure: PulseBackError
            try:
                resp = self._http.request(
                    op.method,
                    op.url,
                    params=op.params,
                    content=op.body,
                    headers=headers,
                    timeout=self._timeout,
                )
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                failure = Unavailable(f"{op.label}: could not connect ({type(exc).__name__})")
                failure.__cause__ = exc
                transient = True
            except httpx.TimeoutException as exc:
                failure = Unavailable(
                    f"{op.label}: no answer in time ({type(exc).__name__})", maybe_processed=True
                )
                failure.__cause__ = exc
                transient = op.idempotent
            except httpx.TransportError as exc:
                failure = Unavailable(
                    f"{op.label}: transport error ({type(exc).__name__})", maybe_processed=True
                )
                failure.__cause__ = exc
                transient = op.idempotent
            else:
                status = resp.status_code
                logger.debug(
                    "%s -> HTTP %d in %.0f ms", op.label, status, (time.perf_counter() - started) * 1000
                )
                if op.api:
                    self._note_rate_limit(resp)
                if status in op.ok:
                    try:
                        return op.parse(_load_json(resp))
                    except ProtocolError as exc:
                        failure = ProtocolError(
                            f"{op.label}: {exc.message}", status=status, maybe_processed=not op.idempotent
                        )
                        transient = op.idempotent
                elif status == 401 and op.provider is not None:
                    if renewed:
                        raise Unauthorized(
                            f"{op.label}: access token rejected (HTTP 401) even after renewal", status=401
                        )
                    renewed = True
                    self.stats.renewals += 1
                    logger.info("%s: HTTP 401, renewing the access token once", op.label)
                    token = op.provider.renew(token or "")
                    continue
                elif status == 429:
                    code, _msg = _error_details(resp)
                    failure = RateLimited(
                        f"{op.label}: rate limited (HTTP 429{', ' + code if code else ''})",
                        retry_after=_retry_after(resp, self._clock()),
                        code=code,
                    )
                    transient = True
                elif status >= 500:
                    safe = op.idempotent or status in op.not_processed
                    failure = Unavailable(
                        f"{op.label}: HTTP {status}", status=status, maybe_processed=not safe
                    )
                    transient = safe
                elif 400 <= status < 500:
                    code, msg = _error_details(resp)
                    raise op.client_error(status, code, _clean(msg, secrets))
                else:
                    raise ProtocolError(
                        f"{op.label}: unexpected HTTP {status}",
                        status=status,
                        maybe_processed=not op.idempotent,
                    )
            if not transient:
                raise _amend(failure, "not retried: the request may have been processed")
            if failures >= self.max_retries:
                raise _amend(failure, f"gave up after {failures + 1} attempts")
            failures += 1
            if isinstance(failure, RateLimited) and failure.retry_after is not None:
                delay = failure.retry_after
            else:
                delay = min(self.backoff_cap, self.backoff_base * 2 ** (failures - 1)) * self._rng()
            if waited + delay > self.max_total_wait:
                raise _amend(
                    failure, f"gave up after {failures} attempts: a {delay:.1f}s wait exceeds max_total_wait"
                )
            logger.warning("%s; retry %d/%d in %.2fs", failure.message, failures, self.max_retries, delay)
            self._wait(delay)
            waited += delay
            self.stats.retries += 1


@functools.lru_cache(maxsize=1)
def _shared_ssl_context() -> ssl.SSLContext:
    """One verifying SSL context (certifi's CAs) for every client: building one
    costs ~20 ms, and contexts are safe to share between threads."""
    return httpx.create_ssl_context()


def _amend(exc: PulseBackError, note: str) -> PulseBackError:
    exc.message = f"{exc.message} ({note})"
    exc.args = (exc.message,)
    return exc


def _parse_page(data: Any, *, limit: int, offset: int) -> FeedbackPage:
    if not isinstance(data, dict):
        raise ProtocolError("feedback answer is not a JSON object")
    items = data.get("feedback")
    if not isinstance(items, list):
        raise ProtocolError("feedback answer has no 'feedback' list")
    total = data.get("total")
    if not _is_int(total) or total < 0:
        raise ProtocolError("feedback answer has no non-negative integer 'total'")
    got_limit, got_offset = data.get("limit", limit), data.get("offset", offset)
    if not _is_int(got_limit) or not _is_int(got_offset) or got_limit < 0 or got_offset < 0:
        raise ProtocolError("feedback answer has invalid 'limit' or 'offset'")
    return FeedbackPage(items=items, total=total, limit=got_limit, offset=got_offset)


def _parse_created(data: Any) -> dict:
    if isinstance(data, dict) and "id" not in data and isinstance(data.get("feedback"), dict):
        data = data["feedback"]
    if not isinstance(data, dict):
        raise ProtocolError("create answer is not a JSON object")
    return data

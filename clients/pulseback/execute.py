"""Sending one PulseBack/Supabase request with retries, waits and token renewal.

Retry policy
------------
* A wait the server names is not a failure. A 429, or a 503 that is safe to
  resend, carrying ``Retry-After`` (seconds or an HTTP date) or
  ``X-RateLimit-Remaining: 0`` with ``X-RateLimit-Reset`` is waited out and
  resent without counting against ``max_retries``. Likewise, after an API
  answer said Remaining 0, the next API request first waits until Reset.
  A named wait shorter than ``backoff_base`` is taken as ``backoff_base``.
* These waits draw on one per-client budget of ``wait_budget`` seconds
  (default 900; one client serves one sync run), each using at least 1 s of it
  (so "Retry-After: 0" forever cannot keep a client busy forever). A wait
  beyond what is left is not slept: :class:`RateLimited` is raised at once
  with ``deferred=True``, ``retry_after`` and ``retry_at`` (the Unix time the
  server named), without a request when it was the Reset wait.
* Only failures without a server-named wait count against ``max_retries``:
  429 without one (Supabase's auth 429), 5xx, timeouts, transport errors,
  bodies that are not valid JSON or whose envelope is wrong. They are retried
  with bounded exponential backoff and full jitter,
  ``min(backoff_cap, backoff_base * 2**n) * rng()`` before retry ``n + 1``, at
  most ``max_retries`` times and ``max_total_wait`` seconds of backoff per
  call; then the typed error is raised.
* Never retried: wrong credentials, spent refresh tokens, other 4xx, and a
  request the transport refused before connecting (a ``ValueError`` such as an
  outbound address guard's refusal; raised as :class:`Unavailable`).
* Non-idempotent calls are retried only when the request certainly was not
  acted on: connection errors before sending (``ConnectError``,
  ``ConnectTimeout``, pool timeout) and 429, plus 503 for ``create_feedback``.
  ``refresh`` counts as non-idempotent because refresh tokens are single-use.
  After a read timeout, another 5xx or a malformed success body the outcome is
  unknown: the error is raised at once with ``maybe_processed=True`` (a
  retried POST could duplicate feedback; a retried refresh could re-send a
  spent token and get the whole session family revoked).
* ``X-RateLimit-Remaining``/``X-RateLimit-Reset`` are read on every API answer
  (Reset above 10**9 is a Unix timestamp, else seconds from now).
* A 401 from the API calls ``provider.renew(stale)`` exactly once and retries
  the request once; a second 401 raises :class:`Unauthorized`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from . import parsing
from .errors import ProtocolError, PulseBackError, RateLimited, Unauthorized, Unavailable
from .parsing import RateLimitState
from .session import AccessTokenProvider

logger = logging.getLogger("clients.pulseback")

MIN_BUDGET_CHARGE = 1.0  # seconds of the wait budget each named wait uses at least


@dataclass
class ClientStats:
    requests: int = 0  # HTTP requests sent (attempts)
    retries: int = 0  # requests resent, after a failure or a server-named wait
    waited_seconds: float = 0.0  # all waits: backoff and server-named
    renewals: int = 0  # access-token renewals after a 401
    server_waits: int = 0  # waits the server named (Retry-After, rate-limit reset)
    server_waited_seconds: float = 0.0  # their total


@dataclass
class Op:
    """One logical call: what to send, how to read the answer, what is safe to repeat."""

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


def _amend(exc: PulseBackError, note: str) -> PulseBackError:
    exc.message = f"{exc.message} ({note})"
    exc.args = (exc.message,)
    return exc


class Executor:
    """Runs :class:`Op` s over one ``httpx.Client`` under the retry policy above (not thread-safe)."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        timeout: httpx.Timeout,
        max_retries: int,
        backoff_base: float,
        backoff_cap: float,
        max_total_wait: float,
        wait_budget: float,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        rng: Callable[[], float],
    ):
        self.http = http
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_total_wait = max_total_wait
        self.wait_budget = wait_budget
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self.stats = ClientStats()
        self.rate_limit = RateLimitState()
        self.wait_budget_used = 0.0

    # ---------------------------------------------------------------- waits
    def _sleep_for(self, seconds: float) -> None:
        if seconds > 0:
            self._sleep(seconds)
            self.stats.waited_seconds += seconds

    def _server_wait(
        self, label: str, seconds: float, retry_at: float, failure: PulseBackError | None
    ) -> None:
        """Sleep a server-named wait from the budget, or raise a deferred RateLimited."""
        left = max(0.0, self.wait_budget - self.wait_budget_used)
        why = failure.message if failure is not None else f"{label}: rate limit exhausted"
        if max(seconds, MIN_BUDGET_CHARGE) > left:
            raise RateLimited(
                f"{why}; PulseBack asks to wait {seconds:.0f}s, beyond the {left:.0f}s left of this "
                f"client's wait budget: deferred until then",
                retry_after=seconds,
                retry_at=retry_at,
                deferred=True,
                status=failure.status if failure is not None else None,
                code=failure.code if failure is not None else None,
            )
        logger.info("%s; waiting %.2fs as PulseBack asks", why, seconds)
        self._sleep_for(seconds)
        self.stats.server_waits += 1
        self.stats.server_waited_seconds += seconds
        self.wait_budget_used += max(seconds, MIN_BUDGET_CHARGE)

    def _named_wait(self, resp: httpx.Response) -> tuple[float, float] | None:
        """(seconds, retry_at) the answer asks to wait, from Retry-After or an exhausted rate limit."""
        now = self._clock()
        seconds = parsing.retry_after(resp, now)
        retry_at = None if seconds is None else now + seconds
        if seconds is None:
            rl = parsing.rate_limit(resp, now)
            if rl is None or rl.remaining != 0 or rl.reset_at is None:
                return None
            seconds, retry_at = rl.reset_at - now, rl.reset_at
        seconds = max(seconds, self.backoff_base)
        return seconds, max(retry_at, now + seconds)

    def _await_rate_limit(self, label: str) -> None:
        """Wait until Reset when the last API answer said Remaining 0."""
        rl = self.rate_limit
        if rl.remaining is None or rl.remaining > 0 or rl.reset_at is None:
            return
        wait = rl.reset_at - self._clock()
        if wait > 0:
            self._server_wait(label, wait, rl.reset_at, None)
        self.rate_limit = RateLimitState()

    def _note_rate_limit(self, resp: httpx.Response) -> None:
        state = parsing.rate_limit(resp, self._clock())
        if state is not None:
            self.rate_limit = state

    def _backoff(self, failure: PulseBackError, failures: int, waited: float) -> float:
        """The next backoff delay, or raise ``failure`` when retries or max_total_wait are spent."""
        if failures >= self.max_retries:
            raise _amend(failure, f"gave up after {failures + 1} attempts")
        delay = min(self.backoff_cap, self.backoff_base * 2**failures) * self._rng()
        if waited + delay > self.max_total_wait:
            raise _amend(
                failure, f"gave up after {failures + 1} attempts: a {delay:.1f}s wait exceeds max_total_wait"
            )
        logger.warning("%s; retry %d/%d in %.2fs", failure.message, failures + 1, self.max_retries, delay)
        return delay

    # ------------------------------------------------------------------ run
    def run(self, op: Op) -> Any:
        waited = 0.0  # backoff in this call
        failures = 0  # failures without a server-named wait
        renewed = False
        token = op.provider.get() if op.provider is not None else None
        while True:
            secrets = op.secrets + ((token,) if token else ())
            if op.api:
                self._await_rate_limit(op.label)
            headers = dict(op.headers)
            if token is not None:
                headers["Authorization"] = f"Bearer {token}"
            self.stats.requests += 1
            started = time.perf_counter()
            named: tuple[float, float] | None = None
            failure: PulseBackError
            try:
                resp = self.http.request(
                    op.method,
                    op.url,
                    params=op.params,
                    content=op.body,
                    headers=headers,
                    timeout=self.timeout,
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
            except ValueError as exc:  # refused before connecting, e.g. by an outbound address guard
                raise Unavailable(f"{op.label}: not sent: {exc}") from exc
            else:
                status = resp.status_code
                logger.debug(
                    "%s -> HTTP %d in %.0f ms", op.label, status, (time.perf_counter() - started) * 1000
                )
                if op.api:
                    self._note_rate_limit(resp)
                if status in op.ok:
                    try:
                        return op.parse(parsing.load_json(resp))
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
                    code, _msg = parsing.error_details(resp)
                    named = self._named_wait(resp)
                    failure = RateLimited(
                        f"{op.label}: rate limited (HTTP 429{', ' + code if code else ''})",
                        retry_after=named[0] if named else None,
                        retry_at=named[1] if named else None,
                        code=code,
                    )
                    transient = True
                elif status >= 500:
                    safe = op.idempotent or status in op.not_processed
                    failure = Unavailable(
                        f"{op.label}: HTTP {status}", status=status, maybe_processed=not safe
                    )
                    transient = safe
                    named = self._named_wait(resp) if safe and status == 503 else None
                elif 400 <= status < 500:
                    code, msg = parsing.error_details(resp)
                    raise op.client_error(status, code, parsing.clean(msg, secrets))
                else:
                    raise ProtocolError(
                        f"{op.label}: unexpected HTTP {status}",
                        status=status,
                        maybe_processed=not op.idempotent,
                    )
            if not transient:
                raise _amend(failure, "not retried: the request may have been processed")
            if named is not None:
                self._server_wait(op.label, *named, failure)
            else:
                delay = self._backoff(failure, failures, waited)
                failures += 1
                self._sleep_for(delay)
                waited += delay
            self.stats.retries += 1

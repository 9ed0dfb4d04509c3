"""Switches of the PulseBack sandbox: faults (:class:`Faults`) and behaviour (:class:`Config`).

Every field is a switch. Set them

- at start-up, as keyword arguments of :class:`~.state.Sandbox` (each name goes
  to whichever of the two classes has it): ``Sandbox(expires_in=10, clock_skew=-90,
  api_429_every=20, api_429_burst=3)``; from the command line with
  ``manage.py pulseback_sandbox --switch NAME=VALUE`` (repeatable);
- at run time, in-process with ``Sandbox.set_faults(**changes)`` /
  ``Sandbox.configure(**changes)``, or over HTTP with ``POST /__sandbox__/faults``
  / ``POST /__sandbox__/config`` and a JSON object of the changes.

``clear_faults()`` turns every fault off; ``reset()`` goes back to the start-up
switches (faults and config). Config changes are never undone by ``clear_faults``.

What the real PulseBack may do within its contract, and the switches for it:

=========================================  ==========================================================
behaviour                                  switches
=========================================  ==========================================================
short-lived access tokens                  ``expires_in`` (Config, seconds, >= 1)
auth server clock off from real time       ``clock_skew`` (Config, seconds, signed)
single 429 burst                           ``api_429_next`` + ``api_429_retry_after``
repeating 429 bursts                       ``api_429_every`` + ``api_429_burst`` + ``api_429_retry_after``
Retry-After as an HTTP date                ``retry_after_format`` (Config)
request quota per window                   ``api_rate_limit``, ``api_rate_window``, ``api_rate_scope``,
                                           ``reset_format``, ``api_rate_retry_after`` (Config)
drift while paging                         ``drift_per_request`` (add), ``drift_remove_per_request``,
                                           ``status_changes_per_request``, ``drift_every``,
                                           ``drift_target``
auth 429 / 5xx                             ``auth_429_next``, ``auth_5xx_next``; the per-IP bucket
                                           (``auth_bucket_capacity``, ``auth_refill_per_second``)
=========================================  ==========================================================
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


class SandboxError(Exception):
    """A control or API operation was refused; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass
class Faults:
    """Fault switches. Each is independent; counts are consumed per request.

    429 bursts (API): ``api_429_next=K`` makes the next K API requests answer 429.
    ``api_429_every=M`` with ``api_429_burst=K`` repeats that: M requests are
    answered normally, then K answer 429, then M normally, and so on (the cycle
    restarts whenever either field is set). Both kinds carry ``Retry-After:
    api_429_retry_after`` (seconds, ``None`` for no header; see
    ``Config.retry_after_format``) and are counted as ``api_429_fault``.
    ``api_429_next`` is consumed first.

    Drift while paging: on every ``drift_every``-th feedback page served to an
    account (counted per account), before the page is cut, the sandbox removes
    ``drift_remove_per_request`` items, advances the status of
    ``status_changes_per_request`` items (new -> reviewed -> resolved), and adds
    ``drift_per_request`` new items on top (created now, status new). Items are
    picked among all the account's items (``drift_target="any"``) or only among
    those the client has already been served in this walk, the items of the
    same filtered listing before the page's offset (``drift_target="served"``:
    every removal then makes the walk skip one item). Choices and new items come
    from a per-account RNG seeded with the sandbox seed, so the same requests
    give the same drift. Ground truth (``GET /__sandbox__/items``) always shows
    the state after the drift, with the removed ids under ``removed``.
    """

    api_429_next: int = 0  # next N API requests answer 429
    api_429_every: int = 0  # repeating bursts: after every M normal answers ...
    api_429_burst: int = 1  # ... K answers 429
    api_429_retry_after: float | None = 1.0  # Retry-After of injected 429s (None: no header)
    api_5xx_next: int = 0  # next N API requests answer api_5xx_status
    api_5xx_probability: float = 0.0  # ... or each with this probability (seeded RNG)
    api_5xx_status: int = 503
    slow_ms: int = 0  # delay before each API answer ...
    slow_next: int | None = None  # ... for the next N answers only (None: all)
    malformed_next: int = 0  # next N successful API answers get a broken body
    malformed_probability: float = 0.0
    malformed_kind: str = "truncated"  # truncated | html | envelope | empty
    drift_per_request: int = 0  # per drifting page: add A new items on top
    drift_remove_per_request: int = 0  # ... remove R items
    status_changes_per_request: int = 0  # ... advance the status of C items
    drift_every: int = 1  # drift on every Nth page served to an account
    drift_target: str = "any"  # any | served (items before the page's offset)
    auth_429_next: int = 0  # next N auth requests answer 429 over_request_rate_limit
    auth_5xx_next: int = 0  # next N auth requests answer 503 (before processing them)


@dataclass
class Config:
    """Behaviour settings (not faults).

    Token lifetime: ``expires_in`` is the lifetime of access tokens issued from
    now on (sign-in and refresh), down to 1 s; the session answers it as
    ``expires_in``, and the API answers 401 once it has passed (judged on real
    time, i.e. the sandbox clock). Refresh tokens are single-use.

    Clock skew: ``clock_skew`` seconds are added to the auth server's clock, so
    ``expires_at`` and the JWT's ``iat``/``exp`` are off by that much while
    ``expires_in`` stays true and expiry itself is judged on real time. The
    API's own times (``X-RateLimit-Reset`` as a timestamp, ``created_at``) are
    not skewed: the API is another server.

    Quota: ``api_rate_limit`` requests per fixed window of ``api_rate_window``
    seconds (it starts with the first request), per account or per token
    (``api_rate_scope``; unauthenticated requests per IP). Every answer carries
    ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset``
    (seconds until the window ends, or with ``reset_format="timestamp"`` its
    Unix time). Once spent, Remaining is 0 and every further request answers
    429 until the window ends, with ``Retry-After`` unless
    ``api_rate_retry_after`` is false. ``retry_after_format="date"`` sends every
    Retry-After (quota and injected) as an HTTP date instead of seconds.
    """

    expires_in: int = 3600  # access token lifetime, seconds
    clock_skew: float = 0.0  # seconds the auth clock is ahead (+) or behind (-) of real time
    api_rate_limit: int = 100_000  # API requests per window (generous by default)
    api_rate_window: float = 60.0
    api_rate_scope: str = "account"  # account | token
    reset_format: str = "seconds"  # seconds | timestamp (X-RateLimit-Reset reading)
    api_rate_retry_after: bool = True  # quota 429s carry Retry-After
    retry_after_format: str = "seconds"  # seconds | date (RFC 9110 HTTP-date)
    auth_rate_limit_enabled: bool = True
    auth_bucket_capacity: int = 30  # per client IP, shared by sign-in and refresh
    auth_refill_per_second: float = 0.5  # 30 per minute
    credentials_error_shape: str = "alternate"  # new | old | alternate
    signin_revokes_other_sessions: bool = False


_CHOICES = {
    "api_rate_scope": ("account", "token"),
    "reset_format": ("seconds", "timestamp"),
    "retry_after_format": ("seconds", "date"),
    "credentials_error_shape": ("new", "old", "alternate"),
    "malformed_kind": ("truncated", "html", "envelope", "empty"),
    "drift_target": ("any", "served"),
}
_NULLABLE = {"api_429_retry_after", "slow_next"}
_SIGNED = {"clock_skew"}
_POSITIVE = {"expires_in", "api_rate_window", "drift_every"}
FAULT_NAMES = frozenset(f.name for f in dataclasses.fields(Faults))
CONFIG_NAMES = frozenset(f.name for f in dataclasses.fields(Config))


def split_switches(switches: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split start-up keyword arguments into (config changes, fault changes)."""
    unknown = sorted(set(switches) - FAULT_NAMES - CONFIG_NAMES)
    if unknown:
        raise SandboxError(f"unknown switch(es) {', '.join(unknown)}")
    config = {k: v for k, v in switches.items() if k in CONFIG_NAMES}
    faults = {k: v for k, v in switches.items() if k in FAULT_NAMES}
    return config, faults


def check_switches(switches: dict[str, Any]) -> None:
    """Raise :class:`SandboxError` unless ``switches`` are valid start-up switches."""
    config, faults = split_switches(switches)
    apply_changes(Config(), config)
    apply_changes(Faults(), faults)


def _checked(key: str, value: Any, default: Any) -> Any:
    if key in _CHOICES:
        if value not in _CHOICES[key]:
            raise SandboxError(f"{key} must be one of {', '.join(_CHOICES[key])}")
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise SandboxError(f"{key} must be a boolean")
        return value
    if value is None:
        if key not in _NULLABLE:
            raise SandboxError(f"{key} must not be null")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise SandboxError(f"{key} must be a number")
    if value < 0 and key not in _SIGNED:
        raise SandboxError(f"{key} must be a non-negative number")
    if key.endswith("_probability") and value > 1:
        raise SandboxError(f"{key} must be between 0 and 1")
    if isinstance(default, int) and key not in _NULLABLE:
        value = int(value)
    if key in _POSITIVE and value <= 0:
        raise SandboxError(f"{key} must be positive")
    return value


def apply_changes(obj: Any, changes: dict[str, Any]) -> None:
    """Validate all ``changes`` first, then set them on ``obj`` (all or nothing)."""
    names = {f.name for f in dataclasses.fields(obj)}
    unknown = sorted(set(changes) - names)
    if unknown:
        raise SandboxError(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}")
    defaults = type(obj)()
    checked = {key: _checked(key, value, getattr(defaults, key)) for key, value in changes.items()}
    for key, value in checked.items():
        setattr(obj, key, value)

"""Fault switches and behaviour settings of the PulseBack sandbox."""

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
    """Fault switches. Each is independent; counts are consumed per request."""

    api_429_next: int = 0  # next N API requests answer 429
    api_429_retry_after: float | None = 1.0  # Retry-After of those (None: no header)
    api_5xx_next: int = 0  # next N API requests answer api_5xx_status
    api_5xx_probability: float = 0.0  # ... or each with this probability (seeded RNG)
    api_5xx_status: int = 503
    slow_ms: int = 0  # delay before each API answer ...
    slow_next: int | None = None  # ... for the next N answers only (None: all)
    malformed_next: int = 0  # next N successful API answers get a broken body
    malformed_probability: float = 0.0
    malformed_kind: str = "truncated"  # truncated | html | envelope | empty
    drift_per_request: int = 0  # each list request first inserts K new items on top
    status_changes_per_request: int = 0  # each list request advances N random statuses
    auth_429_next: int = 0  # next N auth requests answer 429 over_request_rate_limit
    auth_5xx_next: int = 0  # next N auth requests answer 503 (before processing them)


@dataclass
class Config:
    """Behaviour settings (not faults)."""

    expires_in: int = 3600  # access token lifetime, seconds
    api_rate_limit: int = 100_000  # API requests per window (generous by default)
    api_rate_window: float = 60.0
    api_rate_scope: str = "account"  # account | token
    reset_format: str = "seconds"  # seconds | timestamp (X-RateLimit-Reset reading)
    auth_rate_limit_enabled: bool = True
    auth_bucket_capacity: int = 30  # per client IP, shared by sign-in and refresh
    auth_refill_per_second: float = 0.5  # 30 per minute
    credentials_error_shape: str = "alternate"  # new | old | alternate
    signin_revokes_other_sessions: bool = False


_CHOICES = {
    "api_rate_scope": ("account", "token"),
    "reset_format": ("seconds", "timestamp"),
    "credentials_error_shape": ("new", "old", "alternate"),
    "malformed_kind": ("truncated", "html", "envelope", "empty"),
}


_NULLABLE = {"api_429_retry_after", "slow_next"}


def apply_changes(obj: Any, changes: dict[str, Any]) -> None:
    names = {f.name for f in dataclasses.fields(obj)}
    unknown = sorted(set(changes) - names)
    if unknown:
        raise SandboxError(f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}")
    for key, value in changes.items():
        default = getattr(type(obj)(), key)
        if key in _CHOICES:
            if value not in _CHOICES[key]:
                raise SandboxError(f"{key} must be one of {', '.join(_CHOICES[key])}")
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise SandboxError(f"{key} must be a boolean")
        elif value is None:
            if key not in _NULLABLE:
                raise SandboxError(f"{key} must not be null")
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise SandboxError(f"{key} must be a non-negative number")
            if key.endswith("_probability") and value > 1:
                raise SandboxError(f"{key} must be between 0 and 1")
            if isinstance(default, int) and key not in _NULLABLE:
                value = int(value)
        setattr(obj, key, value)

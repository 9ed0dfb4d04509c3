"""Typed errors of the PulseBack client.

Messages never contain passwords, tokens, API keys or request bodies: they
name the operation, the HTTP status, PulseBack's error code and (truncated,
redacted) PulseBack's own message, so they are safe to log and to show.
"""

from __future__ import annotations


class PulseBackError(Exception):
    """Base class. ``status`` is the last HTTP status (None for transport errors),
    ``code`` PulseBack's/Supabase's error code when it sent one."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code

    def __str__(self) -> str:
        return self.message


class InvalidCredentials(PulseBackError):
    """Wrong email or password (either Supabase error shape). Permanent until a
    person re-enters the password: never retried."""


class InvalidApiKey(InvalidCredentials):
    """The auth endpoint rejected the anon key (401): a deployment configuration
    error, not a problem of one client's login."""


class RefreshTokenRevoked(PulseBackError):
    """The refresh token is spent, unknown or its session was revoked: the
    caller must sign in again with the password."""


class Unauthorized(PulseBackError):
    """The API answered 401 even after the access token was renewed once (or
    403): the session is not accepted."""


class RateLimited(PulseBackError):
    """Over a rate limit and the wait would exceed the client's bounds.

    ``retry_after`` is the server's advised wait in seconds and ``retry_at`` the
    Unix time it names, when known. ``deferred`` is True when the server named
    a wait beyond the client's wait budget: nothing failed, try again at
    ``retry_at``."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        retry_at: float | None = None,
        deferred: bool = False,
        status: int | None = 429,
        code=None,
    ):
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after
        self.retry_at = retry_at
        self.deferred = deferred


class _MaybeProcessed(PulseBackError):
    def __init__(self, message: str, *, maybe_processed: bool = False, status=None, code=None):
        super().__init__(message, status=status, code=code)
        #: True when the request may have reached PulseBack and been acted on
        #: (a timeout or 5xx after sending a non-idempotent request).
        self.maybe_processed = maybe_processed


class Unavailable(_MaybeProcessed):
    """5xx answers, timeouts or connection errors, after retries were exhausted
    (or not retried because the request was not safe to repeat)."""


class ProtocolError(_MaybeProcessed):
    """A malformed or unexpected answer (not JSON, wrong envelope, unexpected
    status), after retries were exhausted where retrying was safe."""


class Rejected(PulseBackError, ValueError):
    """PulseBack refused the request as invalid (4xx other than 401/429).
    ``detail`` carries PulseBack's own message (truncated, redacted)."""

    def __init__(self, message: str, *, detail: str | None = None, status: int | None = None, code=None):
        super().__init__(message, status=status, code=code)
        self.detail = detail


__all__ = [
    "InvalidApiKey",
    "InvalidCredentials",
    "ProtocolError",
    "PulseBackError",
    "RateLimited",
    "RefreshTokenRevoked",
    "Rejected",
    "Unauthorized",
    "Unavailable",
]

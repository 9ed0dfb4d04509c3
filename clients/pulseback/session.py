"""Supabase sessions and the access-token providers the client asks for tokens.

A token is used until ``expiry_margin(lifetime)`` seconds before it expires:
``min(60 s, 10% of its lifetime)``, so 1-hour tokens are renewed a minute
early and 10-second tokens one second early.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .errors import ProtocolError, RefreshTokenRevoked
from .parsing import is_number

if TYPE_CHECKING:
    from .client import PulseBackClient

logger = logging.getLogger("clients.pulseback")

MAX_EXPIRY_MARGIN = 60.0  # seconds; also the margin when a token's lifetime is unknown
EXPIRY_MARGIN_SHARE = 0.1


def expiry_margin(lifetime: float | None) -> float:
    """Seconds before expiry at which a token of ``lifetime`` seconds stops being used."""
    if lifetime is None:
        return MAX_EXPIRY_MARGIN
    return max(0.0, min(MAX_EXPIRY_MARGIN, EXPIRY_MARGIN_SHARE * lifetime))


@dataclass(frozen=True)
class Session:
    """A Supabase session. Tokens are left out of ``repr``.

    ``lifetime`` is the access token's lifetime in seconds (``expires_in``);
    None for sessions stored before it was recorded (then the margin is 60 s).
    """

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: int  # Unix seconds, on our clock
    user_id: str | None = None
    email: str | None = None
    lifetime: float | None = None

    @classmethod
    def from_supabase(cls, data: Any, *, now: float | None = None) -> Session:
        """Parse Supabase's session JSON received at ``now`` (our clock).

        ``expires_in`` wins over ``expires_at``: it is relative, so it is immune
        to clock skew between PulseBack and us. ``expires_at`` is used only
        when ``expires_in`` is missing.
        """
        if not isinstance(data, Mapping):
            raise ProtocolError("session answer is not a JSON object")
        access, refresh = data.get("access_token"), data.get("refresh_token")
        if not isinstance(access, str) or not access:
            raise ProtocolError("session answer has no access_token")
        if not isinstance(refresh, str) or not refresh:
            raise ProtocolError("session answer has no refresh_token")
        now = time.time() if now is None else now
        expires_in, expires_at = data.get("expires_in"), data.get("expires_at")
        if is_number(expires_in) and expires_in > 0:
            lifetime: float | None = expires_in
            expires_at = int(now + expires_in)
        elif is_number(expires_at) and expires_at > 0:
            expires_at = int(expires_at)
            lifetime = expires_at - now if expires_at > now else None
        else:
            raise ProtocolError("session answer has neither expires_in nor expires_at")
        user = data.get("user")
        user = user if isinstance(user, Mapping) else {}
        user_id = user.get("id") if isinstance(user.get("id"), str) else None
        email_ = user.get("email") if isinstance(user.get("email"), str) else None
        return cls(access, refresh, expires_at, user_id, email_, lifetime)

    @property
    def margin(self) -> float:
        return expiry_margin(self.lifetime)

    @property
    def refresh_at(self) -> float:
        """Unix time from which the access token is no longer used."""
        return self.expires_at - self.margin

    def needs_refresh(self, now: float | None = None, margin: float | None = None) -> bool:
        """True when the access token expires within ``margin`` seconds (default: :attr:`margin`)."""
        margin = self.margin if margin is None else margin
        return (time.time() if now is None else now) >= self.expires_at - margin


class AccessTokenProvider(Protocol):
    def get(self) -> str:
        """A current access token."""

    def renew(self, stale_token: str) -> str:
        """A fresh access token after ``stale_token`` got a 401 (refresh or sign in)."""


class SessionTokenProvider:
    """A simple :class:`AccessTokenProvider` over a :class:`Session`.

    ``get`` refreshes a token that is about to expire; ``renew`` refreshes
    after a 401. Each new session goes to ``on_refresh`` (which must persist
    it) before its token is used. When the refresh token is spent or revoked
    and ``sign_in`` is given, it is called once instead (it returns a Session,
    e.g. ``lambda: client.sign_in(email, password)``).
    """

    def __init__(
        self,
        client: PulseBackClient,
        session: Session,
        on_refresh: Callable[[Session], None] | None = None,
        *,
        sign_in: Callable[[], Session] | None = None,
    ):
        self.client = client
        self.session = session
        self.on_refresh = on_refresh
        self.sign_in = sign_in

    def get(self) -> str:
        if self.session.needs_refresh(self.client.clock()):
            return self._renew()
        return self.session.access_token

    def renew(self, stale_token: str) -> str:
        if stale_token != self.session.access_token:  # already renewed meanwhile
            return self.session.access_token
        return self._renew()

    def _renew(self) -> str:
        try:
            new = self.client.refresh(self.session.refresh_token)
        except RefreshTokenRevoked as exc:
            if self.sign_in is None:
                raise
            logger.info("PulseBack refresh token not accepted (%s); signing in again", exc.code or "revoked")
            new = self.sign_in()
        if self.on_refresh is not None:
            self.on_refresh(new)
        self.session = new
        return new.access_token

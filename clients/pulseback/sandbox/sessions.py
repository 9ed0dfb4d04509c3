"""Supabase-like sessions of the sandbox: JWT-looking access tokens that
expire, refresh tokens that rotate (each usable once), and session families
that are revoked when a spent refresh token is presented again.

Token lifetime and clock skew: a token issued at real time ``t`` with lifetime
``L`` is refused from ``t + L`` on (real time, the sandbox clock), whatever the
skew. The session answers ``expires_in = L`` and ``expires_at =
int(t + skew) + L``, the JWT's ``exp``, as the auth server's clock sees it.

Not thread-safe by itself: the :class:`~.state.Sandbox` lock guards it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_ENCODER = json.JSONEncoder(separators=(",", ":"))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class _Family:
    email: str
    refresh: set[str] = field(default_factory=set)
    access: set[str] = field(default_factory=set)
    revoked: bool = False
    expiry: float = 0.0  # real time its newest access token expires
    lifetime: int = 0  # that token's lifetime, seconds


@dataclass
class Rotation:
    """The outcome of a refresh: a session, or an error code; ``email`` when
    the token belongs to a known session; ``life_left`` the fraction of the
    replaced access token's lifetime that was left (successful refresh only)."""

    session: dict[str, Any] | None
    error: str | None
    email: str | None = None
    life_left: float = 0.0


class SessionStore:
    def __init__(self, now: Callable[[], float]):
        self._now = now
        self._jwt_secret = secrets.token_bytes(32)
        self._access: dict[str, tuple[str, str, float]] = {}  # token -> email, family, real expiry
        self._refresh: dict[str, tuple[str, bool]] = {}  # token -> family, spent
        self._families: dict[str, _Family] = {}
        self._by_email: dict[str, list[str]] = {}  # email -> family ids

    def start(self, email: str, user_id: str, expires_in: int, skew: float = 0.0) -> dict[str, Any]:
        """A new session (family) for a signed-in user."""
        family_id = secrets.token_hex(8)
        self._families[family_id] = _Family(email)
        self._by_email.setdefault(email, []).append(family_id)
        return self._issue(email, user_id, family_id, expires_in, skew)

    def rotate(
        self, refresh_token: str, user_id_of: Callable[[str], str], expires_in: int, skew: float = 0.0
    ) -> Rotation:
        """Spend a refresh token for a new session. Reuse of a spent token
        revokes its family (Supabase's refresh token rotation)."""
        entry = self._refresh.get(refresh_token)
        if entry is None:
            return Rotation(None, "refresh_token_not_found")
        family_id, spent = entry
        fam = self._families[family_id]
        if fam.revoked:
            return Rotation(None, "refresh_token_not_found", fam.email)
        if spent:
            self._revoke(fam)
            return Rotation(None, "refresh_token_already_used", fam.email)
        self._refresh[refresh_token] = (family_id, True)
        life_left = max(0.0, fam.expiry - self._now()) / fam.lifetime if fam.lifetime else 0.0
        session = self._issue(fam.email, user_id_of(fam.email), family_id, expires_in, skew)
        return Rotation(session, None, fam.email, life_left)

    def email_of_refresh(self, refresh_token: Any) -> str | None:
        entry = self._refresh.get(refresh_token) if isinstance(refresh_token, str) else None
        return self._families[entry[0]].email if entry else None

    def has_live(self, email: str) -> bool:
        """Whether the account has an unrevoked session whose newest access token is unexpired."""
        now = self._now()
        return any(
            not fam.revoked and fam.expiry > now
            for fam in (self._families[f] for f in self._by_email.get(email, ()))
        )

    def revoke_account(self, email: str) -> int:
        """End every live session of an account; returns how many."""
        fams = [self._families[f] for f in self._by_email.get(email, ())]
        fams = [fam for fam in fams if not fam.revoked]
        for fam in fams:
            self._revoke(fam)
        return len(fams)

    def check(self, access_token: str | None) -> tuple[str | None, str]:
        """(owner email, state) of an access token; state is ``live``,
        ``expired``, ``revoked``, or ``unknown`` (no owner)."""
        entry = self._access.get(access_token) if access_token else None
        if entry is None:
            return None, "unknown"
        email, family_id, expiry = entry
        if self._families[family_id].revoked:
            return email, "revoked"
        if self._now() >= expiry:
            return email, "expired"
        return email, "live"

    def authenticate(self, access_token: str | None) -> str | None:
        """The account email of a live access token, else None."""
        email, state = self.check(access_token)
        return email if state == "live" else None

    def _revoke(self, fam: _Family) -> None:
        fam.revoked = True

    def _issue(
        self, email: str, user_id: str, family_id: str, expires_in: int, skew: float
    ) -> dict[str, Any]:
        now = self._now()
        iat = int(now + skew)  # what the auth server's clock reads
        exp = iat + int(expires_in)
        claims = {
            "sub": user_id,
            "email": email,
            "aud": "authenticated",
            "role": "authenticated",
            "session_id": family_id,
            "iat": iat,
            "exp": exp,
            "jti": secrets.token_hex(8),
        }
        signing = _b64(b'{"alg":"HS256","typ":"JWT"}') + "." + _b64(_ENCODER.encode(claims).encode())
        access = signing + "." + _b64(hmac.new(self._jwt_secret, signing.encode(), hashlib.sha256).digest())
        refresh = secrets.token_urlsafe(18)
        fam = self._families[family_id]
        fam.access.add(access)
        fam.refresh.add(refresh)
        fam.expiry, fam.lifetime = now + int(expires_in), int(expires_in)
        self._access[access] = (email, family_id, fam.expiry)
        self._refresh[refresh] = (family_id, False)
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": int(expires_in),
            "expires_at": exp,
            "refresh_token": refresh,
            "user": {"id": user_id, "email": email, "aud": "authenticated", "role": "authenticated"},
        }

"""Supabase-like sessions of the sandbox: JWT-looking access tokens that
expire, refresh tokens that rotate (each usable once), and session families
that are revoked when a spent refresh token is presented again.

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


class SessionStore:
    def __init__(self, now: Callable[[], float]):
        self._now = now
        self._jwt_secret = secrets.token_bytes(32)
        self._access: dict[str, tuple[str, str, float]] = {}  # token -> email, family, expiry
        self._refresh: dict[str, tuple[str, bool]] = {}  # token -> family, spent
        self._families: dict[str, _Family] = {}

    def start(self, email: str, user_id: str, expires_in: int) -> dict[str, Any]:
        """A new session (family) for a signed-in user."""
        family_id = secrets.token_hex(8)
        self._families[family_id] = _Family(email)
        return self._issue(email, user_id, family_id, expires_in)

    def rotate(
        self, refresh_token: str, user_id_of: Callable[[str], str], expires_in: int
    ) -> tuple[dict[str, Any] | None, str | None]:
        """(session, None) or (None, error_code). Reuse of a spent token revokes its family."""
        entry = self._refresh.get(refresh_token)
        if entry is None:
            return None, "refresh_token_not_found"
        family_id, spent = entry
        fam = self._families[family_id]
        if fam.revoked:
            return None, "refresh_token_not_found"
        if spent:
            self._revoke(fam)
            return None, "refresh_token_already_used"
        self._refresh[refresh_token] = (family_id, True)
        return self._issue(fam.email, user_id_of(fam.email), family_id, expires_in), None

    def revoke_account(self, email: str) -> int:
        """End every live session of an account; returns how many."""
        fams = [f for f in self._families.values() if f.email == email and not f.revoked]
        for fam in fams:
            self._revoke(fam)
        return len(fams)

    def authenticate(self, access_token: str | None) -> str | None:
        """The account email of a live access token, else None."""
        entry = self._access.get(access_token) if access_token else None
        if entry is None or self._now() >= entry[2]:
            return None
        return entry[0]

    def _revoke(self, fam: _Family) -> None:
        fam.revoked = True
        for token in fam.access:
            self._access.pop(token, None)

    def _issue(self, email: str, user_id: str, family_id: str, expires_in: int) -> dict[str, Any]:
        now = self._now()
        exp = int(now) + int(expires_in)
        claims = {
            "sub": user_id,
            "email": email,
            "aud": "authenticated",
            "role": "authenticated",
            "session_id": family_id,
            "iat": int(now),
            "exp": exp,
            "jti": secrets.token_hex(8),
        }
        signing = _b64(b'{"alg":"HS256","typ":"JWT"}') + "." + _b64(_ENCODER.encode(claims).encode())
        access = signing + "." + _b64(hmac.new(self._jwt_secret, signing.encode(), hashlib.sha256).digest())
        refresh = secrets.token_urlsafe(18)
        fam = self._families[family_id]
        fam.access.add(access)
        fam.refresh.add(refresh)
        self._access[access] = (email, family_id, float(exp))
        self._refresh[refresh] = (family_id, False)
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": int(expires_in),
            "expires_at": exp,
            "refresh_token": refresh,
            "user": {"id": user_id, "email": email, "aud": "authenticated", "role": "authenticated"},
        }

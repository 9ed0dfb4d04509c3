"""Auth side of the sandbox (Supabase Auth): sign-in, refresh, the per-IP
token bucket, revocation and access-token checks.

:class:`AuthMixin` is part of :class:`~.state.Sandbox`. Token lifetime
(``Config.expires_in``) and clock skew (``Config.clock_skew``) apply to the
sessions issued from the moment they are set; see :mod:`.sessions`.
"""

from __future__ import annotations

import hmac
import threading
from typing import TYPE_CHECKING, Any

from .accounts import Account
from .counters import Counters
from .sessions import SessionStore
from .switches import Config


class AuthMixin:
    """Auth methods of :class:`~.state.Sandbox`."""

    if TYPE_CHECKING:  # provided by Sandbox
        _lock: threading.RLock
        _accounts: dict[str, Account]
        _buckets: dict[str, tuple[float, float]]
        _shape_flip: int
        config: Config
        counters: Counters
        sessions: SessionStore

        def account(self, email: str) -> Account: ...

        def now(self) -> float: ...

    def auth_bucket_take(self, ip: str) -> bool:
        """Take one token of ``ip``'s auth bucket (Supabase limits auth per IP)."""
        cfg = self.config
        if not cfg.auth_rate_limit_enabled:
            return True
        now = self.now()
        tokens, last = self._buckets.get(ip, (float(cfg.auth_bucket_capacity), now))
        tokens = min(
            float(cfg.auth_bucket_capacity), tokens + max(0.0, now - last) * cfg.auth_refill_per_second
        )
        ok = tokens >= 1.0
        self._buckets[ip] = (tokens - 1.0 if ok else tokens, now)
        return ok

    def next_error_shape(self) -> str:
        shape = self.config.credentials_error_shape
        if shape == "alternate":
            self._shape_flip += 1
            return "new" if self._shape_flip % 2 else "old"
        return shape

    def auth_subject(self, grant: str | None, payload: Any) -> str | None:
        """The account an auth request is about (for the counters), if known."""
        if not isinstance(payload, dict):
            return None
        if grant == "password":
            email = payload.get("email")
            key = email.strip().lower() if isinstance(email, str) else ""
            return key if key in self._accounts else None
        if grant == "refresh_token":
            return self.sessions.email_of_refresh(payload.get("refresh_token"))
        return None

    def sign_in(self, email: str, password: str) -> dict[str, Any] | None:
        """A new session, or None for wrong credentials."""
        with self._lock:
            acct = self._accounts.get(email.strip().lower())
            if acct is None or not hmac.compare_digest(acct.password.encode(), password.encode()):
                self.counters.add("sign_in_failures", acct.email if acct else None)
                return None
            if self.sessions.has_live(acct.email):
                self.counters.add("sign_ins_while_live", acct.email)
            if self.config.signin_revokes_other_sessions:
                self.sessions.revoke_account(acct.email)
            self.counters.add("sign_ins", acct.email)
            return self.sessions.start(
                acct.email, acct.user_id, self.config.expires_in, self.config.clock_skew
            )

    def refresh(self, refresh_token: str) -> tuple[dict[str, Any] | None, str | None]:
        """(session, None) or (None, error_code). Reuse of a spent token revokes its family."""
        with self._lock:
            rot = self.sessions.rotate(
                refresh_token,
                lambda email: self._accounts[email].user_id,
                self.config.expires_in,
                self.config.clock_skew,
            )
            if rot.session is not None:
                self.counters.add("refreshes", rot.email)
                if rot.life_left > 0.5:
                    self.counters.add("refreshes_before_half_life", rot.email)
            else:
                self.counters.add("refresh_failures", rot.email)
                if rot.error == "refresh_token_already_used":
                    self.counters.add("families_revoked_on_reuse", rot.email)
            return rot.session, rot.error

    def revoke_sessions(self, email: str) -> int:
        """End every session of an account (its access and refresh tokens stop working)."""
        with self._lock:
            return self.sessions.revoke_account(self.account(email).email)

    def authenticate(self, access_token: str | None) -> Account | None:
        """The account of a live access token, else None."""
        with self._lock:
            email = self.sessions.authenticate(access_token)
            return self._accounts.get(email) if email else None

    def check_token(self, access_token: str | None) -> tuple[Account | None, str | None, str]:
        """(account if the token is live, owner email if known, state); state is
        ``live``, ``expired``, ``revoked`` or ``unknown``."""
        with self._lock:
            email, state = self.sessions.check(access_token)
            acct = self._accounts.get(email) if email and state == "live" else None
            return acct, email, state

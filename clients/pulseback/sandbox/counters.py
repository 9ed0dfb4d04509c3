"""Counters of what the sandbox did, in total and per account.

Read them with ``Sandbox.get_stats()`` (totals, only the non-zero ones),
``Sandbox.get_stats(email)`` (one account, every counter of :data:`COUNTERS`,
zeros included) and ``Sandbox.account_stats()`` (every account); over HTTP
with ``GET /__sandbox__/stats``, ``GET /__sandbox__/stats?email=...`` and
``GET /__sandbox__/stats/accounts``. ``reset_stats(email=None)`` /
``POST /__sandbox__/stats/reset`` zero them (one account, or everything).

A request counts for an account when it names one: the email of a sign-in
(also a failed one), the session of a refresh token, or the owner of a bearer
token (also an expired or revoked one). Requests that name no known account
count in the totals only. Counter names ending in ``_fault`` count answers
injected by a fault switch; every other 429 was provoked by the client.
"""

from __future__ import annotations

from collections import Counter

COUNTERS: dict[str, str] = {
    "auth_requests": "auth calls received (any answer)",
    "sign_ins": "successful sign-ins",
    "sign_ins_while_live": "sign-ins while the account still had a live, unrevoked access token",
    "sign_in_failures": "sign-ins refused for wrong credentials",
    "refreshes": "successful refreshes",
    "refreshes_before_half_life": "refreshes while the session's access token had over half its life left",
    "refresh_failures": "refreshes refused (spent, unknown or revoked refresh token)",
    "families_revoked_on_reuse": "sessions ended because a spent refresh token came again",
    "auth_429_fault": "auth 429s injected by auth_429_next",
    "auth_429_bucket": "auth 429s provoked: the per-IP token bucket was empty",
    "auth_5xx_fault": "auth 503s injected by auth_5xx_next",
    "api_requests": "API requests received (any answer)",
    "api_list": "feedback pages served (200)",
    "api_create": "feedback items created (201)",
    "api_401": "API 401s (missing, unknown, revoked or expired token)",
    "api_401_expired": "API 401s for an expired access token (part of api_401)",
    "api_429_fault": "API 429s injected by api_429_next or api_429_every/api_429_burst",
    "api_429_limit": "API 429s provoked: the request quota of the window was spent",
    "api_5xx_fault": "API 5xx injected by api_5xx_next or api_5xx_probability",
    "slow_fault": "API answers delayed by slow_ms",
    "malformed_fault": "API answers given a broken body",
    "drift_items": "items added by drift while paging",
    "drift_removed": "items removed by drift while paging",
    "status_changes": "statuses advanced by drift while paging",
}


class Counters:
    """Totals (``total``, a Counter) and per-account counters (by email)."""

    def __init__(self) -> None:
        self.total: Counter[str] = Counter()
        self._accounts: dict[str, Counter[str]] = {}

    def add(self, name: str, email: str | None = None, n: int = 1) -> None:
        if n <= 0:
            return
        self.total[name] += n
        if email:
            self._accounts.setdefault(email, Counter())[name] += n

    def of(self, email: str) -> dict[str, int]:
        counts = self._accounts.get(email, Counter())
        return {name: counts[name] for name in COUNTERS}

    def all(self, emails: list[str]) -> dict[str, dict[str, int]]:
        return {email: self.of(email) for email in emails}

    def clear(self, email: str | None = None) -> None:
        if email is None:
            self.total.clear()
            self._accounts.clear()
        else:
            self._accounts.pop(email, None)

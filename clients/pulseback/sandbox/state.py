"""State of the PulseBack sandbox: the :class:`Sandbox` facade.

The :class:`Sandbox` is HTTP-agnostic: :mod:`.service` turns requests into
calls on it, :mod:`.server` puts it on a socket. Every public method takes the
sandbox lock, so a sandbox can be driven from tests while it serves requests.
Its parts: accounts and items (:mod:`.accounts`, :mod:`.items`), auth
(:mod:`.auth`, :mod:`.sessions`), switches (:mod:`.switches`), rate limits
(:mod:`.ratelimit`), drift (:mod:`.drift`) and counters (:mod:`.counters`).
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from collections import Counter
from typing import Any

from . import data as seed_data
from .accounts import Account, Item
from .auth import AuthMixin
from .counters import Counters
from .drift import DRIFT_SWITCHES
from .items import DEFAULT_MALFORMED, MALFORMED_KINDS, ItemsMixin
from .ratelimit import BURST_SWITCHES
from .sessions import SessionStore
from .switches import Config, Faults, SandboxError, apply_changes, split_switches

DEFAULT_SEED = 20260207
ANON_KEY = "sandbox-anon-key"

__all__ = [
    "ANON_KEY",
    "DEFAULT_MALFORMED",
    "DEFAULT_SEED",
    "MALFORMED_KINDS",
    "Account",
    "Item",
    "Sandbox",
]


class Sandbox(ItemsMixin, AuthMixin):
    """All state of one sandbox; thread-safe.

    ``accounts``: None for :data:`DEMO_ACCOUNTS`, or a list of
    ``(email, password, name[, items[, kind]])`` tuples or dicts with those keys.
    ``clock``: a ``time.time``-like callable (tests pass a fake clock); it is
    "real time" for the sandbox (token expiry, rate windows, ``days``).
    Extra keyword arguments are start-up switches: names of :class:`Config`
    or :class:`Faults` fields (see :mod:`.switches`), e.g.
    ``Sandbox(expires_in=10, clock_skew=-120, api_429_every=50, api_429_burst=3)``.
    ``reset()`` returns to them.
    """

    def __init__(
        self,
        seed: int = DEFAULT_SEED,
        expires_in: int = 3600,
        accounts: list | None = None,
        *,
        clock=time.time,
        anon_key: str = ANON_KEY,
        **switches: Any,
    ):
        self.seed = seed
        self.anon_key = anon_key
        self._clock = clock
        self._lock = threading.RLock()
        self._initial_accounts = accounts
        config, faults = split_switches(switches)
        self._initial_config = Config()
        apply_changes(self._initial_config, {"expires_in": expires_in, **config})
        self._initial_faults = Faults()
        apply_changes(self._initial_faults, faults)
        self.reset()

    # ----------------------------------------------------------------- basics
    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def now(self) -> float:
        return self._clock() + self._offset

    @property
    def stats(self) -> Counter[str]:
        """Totals of the counters (see :mod:`.counters`)."""
        return self.counters.total

    def reset(self) -> None:
        """Back to the seeded initial state: data, sessions, counters, and the
        start-up switches."""
        with self._lock:
            self.config = dataclasses.replace(self._initial_config)
            self.faults = dataclasses.replace(self._initial_faults)
            self.burst_phase = 0
            self._offset = 0.0
            self.fault_rng = random.Random(f"{self.seed}:faults")
            self._accounts: dict[str, Account] = {}
            self.sessions = SessionStore(self.now)
            self._buckets: dict[str, tuple[float, float]] = {}
            self.windows: dict[str, tuple[float, int]] = {}
            self.counters = Counters()
            self._shape_flip = 0
            specs = self._initial_accounts
            if specs is None:
                specs = [
                    (e, p, n, seed_data.DEMO_PROFILES[e][1], seed_data.DEMO_PROFILES[e][0])
                    for e, p, n in seed_data.DEMO_ACCOUNTS
                ]
            for spec in specs:
                if isinstance(spec, dict):
                    self.add_account(**spec)
                else:
                    self.add_account(*spec)

    # --------------------------------------------------------------- switches
    def set_faults(self, **changes: Any) -> dict[str, Any]:
        """Change fault switches (all or none); returns them all. Setting a
        burst switch restarts the burst cycle; a drift switch, the drift count
        of every account."""
        with self._lock:
            apply_changes(self.faults, changes)
            if BURST_SWITCHES & set(changes):
                self.burst_phase = 0
            if DRIFT_SWITCHES & set(changes):
                for acct in self._accounts.values():
                    acct.drift_tick = 0
            return dataclasses.asdict(self.faults)

    def clear_faults(self) -> dict[str, Any]:
        """Every fault off (start-up faults too; ``reset()`` brings those back)."""
        with self._lock:
            self.faults = Faults()
            self.burst_phase = 0
            return dataclasses.asdict(self.faults)

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Change config settings (all or none); returns them all."""
        with self._lock:
            apply_changes(self.config, changes)
            return dataclasses.asdict(self.config)

    def advance_clock(self, seconds: float) -> float:
        """Move the sandbox's notion of now (token expiry, rate windows, ``days``)."""
        with self._lock:
            self._offset += float(seconds)
            return self.now()

    # --------------------------------------------------------------- counters
    def get_stats(self, email: str | None = None) -> dict[str, int]:
        """Totals (non-zero counters), or every counter of one account."""
        with self._lock:
            if email is None:
                return dict(self.counters.total)
            return self.counters.of(self.account(email).email)

    def account_stats(self) -> dict[str, dict[str, int]]:
        """Every counter of every account, by email."""
        with self._lock:
            return self.counters.all(list(self._accounts))

    def reset_stats(self, email: str | None = None) -> None:
        """Zero all counters, or one account's (the totals then stay)."""
        with self._lock:
            self.counters.clear(None if email is None else self.account(email).email)

    # --------------------------------------------------------------- accounts
    def account(self, email: str) -> Account:
        acct = self._accounts.get(str(email).strip().lower())
        if acct is None:
            raise SandboxError(f"unknown account {email!r}", 404)
        return acct

    def add_account(
        self,
        email: str,
        password: str,
        name: str | None = None,
        items: int = 0,
        kind: str = "generic",
        seed: int | str | None = None,
    ) -> dict[str, Any]:
        """Add a business account, with ``items`` generated items (fast: ~2 s per 100k)."""
        if not isinstance(email, str) or "@" not in email or not isinstance(password, str) or not password:
            raise SandboxError("an account needs an email and a password")
        if isinstance(items, bool) or not isinstance(items, int) or not 0 <= items <= 2_000_000:
            raise SandboxError("items must be an integer from 0 to 2000000")
        email = email.strip().lower()
        with self._lock:
            if email in self._accounts:
                raise SandboxError(f"account {email!r} exists", 409)
            rng_seed = f"{self.seed if seed is None else seed}:{email}"
            user_id = seed_data.new_uuid(random.Random(rng_seed + ":user"))
            acct = Account(email, password, name or email.split("@")[0], kind, user_id, rng_seed)
            for ts, item in seed_data.generate_items(acct.rng, items, now=self.now(), kind=kind):
                acct.append_seeded(Item(item["id"], ts, item))
            self._accounts[email] = acct
            return acct.summary()

    def list_accounts(self) -> list[dict[str, Any]]:
        with self._lock:
            return [a.summary() for a in self._accounts.values()]

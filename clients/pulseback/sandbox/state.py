"""State of the PulseBack sandbox: accounts, feedback items, sessions, switches.

The :class:`Sandbox` is HTTP-agnostic: :mod:`.service` turns requests into
calls on it, :mod:`.server` puts it on a socket. Every public method takes the
sandbox lock, so a sandbox can be driven from tests while it serves requests.
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import random
import threading
import time
from bisect import bisect_left, bisect_right
from collections import Counter
from datetime import datetime
from typing import Any

from . import data as seed_data
from .sessions import SessionStore
from .switches import Config, Faults, SandboxError, apply_changes

DEFAULT_SEED = 20260207
ANON_KEY = "sandbox-anon-key"
_STATUS_NEXT = {"new": "reviewed", "reviewed": "resolved"}
MALFORMED_KINDS = (
    "missing_id",
    "rating_out_of_range",
    "unknown_sentiment",
    "bad_id",
    "rating_not_int",
    "bad_created_at",
    "not_an_object",
)
DEFAULT_MALFORMED = MALFORMED_KINDS[:3]


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _dump(obj: Any) -> bytes:
    return _ENCODER.encode(obj).encode()


class Item:
    __slots__ = ("key", "ts", "data", "raw", "malformed")

    def __init__(self, key: str, ts: float, data: Any, malformed: bool = False):
        self.key, self.ts, self.data, self.malformed = key, ts, data, malformed
        self.raw = _dump(data)


class Account:
    def __init__(self, email: str, password: str, name: str, kind: str, user_id: str, rng_seed: str):
        self.email, self.password, self.name, self.kind, self.user_id = email, password, name, kind, user_id
        self.rng = random.Random(rng_seed)
        self.items: list[Item] = []  # newest first
        self.neg_ts: list[float] = []  # -item.ts, parallel to items (ascending)
        self.index: dict[str, Item] = {}
        self.version = 0
        self.views: dict[tuple, tuple[int, list[Item], list[float]]] = {}

    def insert(self, item: Item) -> None:
        pos = bisect_left(self.neg_ts, -item.ts)
        self.items.insert(pos, item)
        self.neg_ts.insert(pos, -item.ts)
        self.index[item.key] = item
        self.version += 1

    def summary(self) -> dict[str, Any]:
        bad = sum(1 for it in self.items if it.malformed)
        return {
            "email": self.email,
            "name": self.name,
            "kind": self.kind,
            "user_id": self.user_id,
            "items": len(self.items) - bad,
            "malformed": bad,
        }


class Sandbox:
    """All state of one sandbox; thread-safe.

    ``accounts``: None for :data:`DEMO_ACCOUNTS`, or a list of
    ``(email, password, name[, items[, kind]])`` tuples or dicts with those keys.
    ``clock``: a ``time.time``-like callable (tests pass a fake clock).
    Extra keyword arguments set :class:`Config` fields.
    """

    def __init__(
        self,
        seed: int = DEFAULT_SEED,
        expires_in: int = 3600,
        accounts: list | None = None,
        *,
        clock=time.time,
        anon_key: str = ANON_KEY,
        **config: Any,
    ):
        self.seed = seed
        self.anon_key = anon_key
        self._clock = clock
        self._lock = threading.RLock()
        self._initial_accounts = accounts
        self._initial_config = Config(expires_in=expires_in)
        apply_changes(self._initial_config, config)
        self.reset()

    # ----------------------------------------------------------------- basics
    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def now(self) -> float:
        return self._clock() + self._offset

    def reset(self) -> None:
        """Back to the seeded initial state: data, sessions, faults, config."""
        with self._lock:
            self.config = dataclasses.replace(self._initial_config)
            self.faults = Faults()
            self._offset = 0.0
            self.fault_rng = random.Random(f"{self.seed}:faults")
            self._accounts: dict[str, Account] = {}
            self.sessions = SessionStore(self.now)
            self._buckets: dict[str, tuple[float, float]] = {}
            self.windows: dict[str, tuple[float, int]] = {}
            self.stats: Counter[str] = Counter()
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

    def set_faults(self, **changes: Any) -> dict[str, Any]:
        with self._lock:
            apply_changes(self.faults, changes)
            return dataclasses.asdict(self.faults)

    def clear_faults(self) -> dict[str, Any]:
        with self._lock:
            self.faults = Faults()
            return dataclasses.asdict(self.faults)

    def configure(self, **changes: Any) -> dict[str, Any]:
        with self._lock:
            apply_changes(self.config, changes)
            return dataclasses.asdict(self.config)

    def advance_clock(self, seconds: float) -> float:
        """Move the sandbox's notion of now (token expiry, rate windows, ``days``)."""
        with self._lock:
            self._offset += float(seconds)
            return self.now()

    def get_stats(self) -> dict[str, int]:
        with self._lock:
            return dict(self.stats)

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
                it = Item(item["id"], ts, item)
                acct.items.append(it)
                acct.neg_ts.append(-ts)
                acct.index[it.key] = it
            self._accounts[email] = acct
            return acct.summary()

    def list_accounts(self) -> list[dict[str, Any]]:
        with self._lock:
            return [a.summary() for a in self._accounts.values()]

    def ground_truth(self, email: str, *, include_malformed: bool = False) -> list[Any]:
        """All current items of an account, newest first (copies)."""
        with self._lock:
            items = self.account(email).items
            return [json.loads(it.raw) for it in items if include_malformed or not it.malformed]

    def ground_truth_json(self, email: str, *, include_malformed: bool = False) -> bytes:
        with self._lock:
            items = self.account(email).items
            return b"[" + b",".join(it.raw for it in items if include_malformed or not it.malformed) + b"]"

    # ------------------------------------------------------------------ items
    def new_item(self, acct: Account, ts: float, fields: dict[str, Any] | None = None) -> Item:
        """A generated new item (status new) created at ``ts``; ``fields``
        override generated ones. Not inserted; the caller holds the lock."""
        item = seed_data.make_item(acct.rng, created_ts=ts, age_days=0, kind=acct.kind)
        item["status"] = "new"
        if fields:
            item.update(_validated_fields(fields))
            if "rating" in fields and "sentiment" not in fields:
                item["sentiment"], item["sentiment_score"] = seed_data.sentiment_for(
                    item["rating"], acct.rng.random()
                )
        if "created_at" in (fields or {}):
            ts = _parse_ts(item["created_at"])
        return Item(item["id"], ts, item)

    def add_items(self, email: str, count: int = 0, items: list[dict] | None = None) -> list[str]:
        """Add ``count`` generated new items (created now), or explicit ``items``
        (partial dicts; missing fields are generated). Returns the new ids."""
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 2_000_000:
            raise SandboxError("count must be a non-negative integer")
        if items is not None and not isinstance(items, list):
            raise SandboxError("items must be a list of objects")
        with self._lock:
            acct = self.account(email)
            now = self.now()
            added = []
            for i in range(count):
                it = self.new_item(acct, float(int(now)) - (count - 1 - i) * 1e-3)
                added.append(it)
            for fields in items or []:
                if not isinstance(fields, dict):
                    raise SandboxError("items must be a list of objects")
                added.append(self.new_item(acct, now, fields))
            for it in added:
                if it.key in acct.index:
                    raise SandboxError(f"duplicate id {it.key}", 409)
                acct.insert(it)
            return [it.key for it in added]

    def _set_status(self, acct: Account, item: Item, status: str) -> None:
        item.data["status"] = status
        item.raw = _dump(item.data)
        acct.version += 1

    def set_status(self, email: str, ids: list[str], status: str) -> list[str]:
        """Set the status of the given ids; returns the ids that exist and changed."""
        if status not in seed_data.STATUSES:
            raise SandboxError("status must be new, reviewed or resolved")
        with self._lock:
            acct = self.account(email)
            changed = []
            for key in ids:
                it = acct.index.get(key)
                if it is not None and not it.malformed and it.data["status"] != status:
                    self._set_status(acct, it, status)
                    changed.append(key)
            return changed

    def advance_statuses(self, email: str, count: int, rng: random.Random | None = None) -> list[str]:
        """Advance ``count`` random unresolved items one step (new -> reviewed -> resolved)."""
        with self._lock:
            acct = self.account(email)
            rng = rng or acct.rng
            pool = [it for it in acct.items if not it.malformed and it.data["status"] != "resolved"]
            chosen = rng.sample(pool, min(count, len(pool)))
            for it in chosen:
                self._set_status(acct, it, _STATUS_NEXT[it.data["status"]])
            return [it.key for it in chosen]

    def remove_items(self, email: str, ids: list[str]) -> list[str]:
        with self._lock:
            acct = self.account(email)
            gone = {key for key in ids if key in acct.index}
            if gone:
                keep = [it for it in acct.items if it.key not in gone]
                acct.items = keep
                acct.neg_ts = [-it.ts for it in keep]
                for key in gone:
                    del acct.index[key]
                acct.version += 1
            return [key for key in ids if key in gone]

    def inject_malformed(self, email: str, kinds: list[str] | None = None) -> list[str]:
        """Put malformed items on top of the account's listing (they count in
        ``total``). Kinds: see :data:`MALFORMED_KINDS`. Returns internal keys
        (usable with :meth:`remove_items`)."""
        kinds = list(DEFAULT_MALFORMED if kinds is None else kinds)
        bad = [k for k in kinds if k not in MALFORMED_KINDS]
        if bad:
            raise SandboxError(f"unknown malformed kinds {bad}; known: {', '.join(MALFORMED_KINDS)}")
        with self._lock:
            acct = self.account(email)
            now = self.now()
            keys = []
            for kind in kinds:
                item = seed_data.make_item(acct.rng, created_ts=now, age_days=0, kind=acct.kind)
                key = item["id"]
                if kind == "missing_id":
                    del item["id"]
                    key = f"malformed-{key}"
                elif kind == "bad_id":
                    item["id"] = key = f"not-a-uuid-{key[:8]}"
                elif kind == "rating_out_of_range":
                    item["rating"] = 7 if acct.rng.random() < 0.5 else 0
                elif kind == "rating_not_int":
                    item["rating"] = "five"
                elif kind == "unknown_sentiment":
                    item["sentiment"] = "ecstatic"
                elif kind == "bad_created_at":
                    item["created_at"] = "yesterday-ish"
                elif kind == "not_an_object":
                    item = f"garbage item {key[:8]}"
                    key = f"malformed-{key}"
                acct.insert(Item(key, now, item, malformed=True))
                keys.append(key)
            return keys

    # ----------------------------------------------------------------- auth
    def auth_bucket_take(self, ip: str) -> bool:
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

    def sign_in(self, email: str, password: str) -> dict[str, Any] | None:
        """A new session, or None for wrong credentials."""
        with self._lock:
            acct = self._accounts.get(email.strip().lower())
            if acct is None or not hmac.compare_digest(acct.password.encode(), password.encode()):
                return None
            if self.config.signin_revokes_other_sessions:
                self.sessions.revoke_account(acct.email)
            self.stats["sign_ins"] += 1
            return self.sessions.start(acct.email, acct.user_id, self.config.expires_in)

    def refresh(self, refresh_token: str) -> tuple[dict[str, Any] | None, str | None]:
        """(session, None) or (None, error_code). Reuse of a spent token revokes its family."""
        with self._lock:
            session, error = self.sessions.rotate(
                refresh_token, lambda email: self._accounts[email].user_id, self.config.expires_in
            )
            if session is not None:
                self.stats["refreshes"] += 1
            elif error == "refresh_token_already_used":
                self.stats["families_revoked_on_reuse"] += 1
            return session, error

    def revoke_sessions(self, email: str) -> int:
        """End every session of an account (its access and refresh tokens stop working)."""
        with self._lock:
            return self.sessions.revoke_account(self.account(email).email)

    def authenticate(self, access_token: str | None) -> Account | None:
        """The account of a live access token, else None."""
        with self._lock:
            email = self.sessions.authenticate(access_token)
            return self._accounts.get(email) if email else None

    # --------------------------------------------------------------- listing
    def view(
        self, acct: Account, status: str | None, sentiment: str | None
    ) -> tuple[list[Item], list[float]]:
        if status is None and sentiment is None:
            return acct.items, acct.neg_ts
        key = (status, sentiment)
        cached = acct.views.get(key)
        if cached and cached[0] == acct.version:
            return cached[1], cached[2]
        items = [
            it
            for it in acct.items
            if isinstance(it.data, dict)
            and (status is None or it.data.get("status") == status)
            and (sentiment is None or it.data.get("sentiment") == sentiment)
        ]
        neg = [-it.ts for it in items]
        acct.views[key] = (acct.version, items, neg)
        return items, neg

    def page(
        self,
        acct: Account,
        *,
        status: str | None,
        sentiment: str | None,
        days: int | None,
        limit: int,
        offset: int,
    ) -> bytes:
        items, neg = self.view(acct, status, sentiment)
        total = len(items)
        if days is not None:
            total = bisect_right(neg, -(self.now() - days * seed_data.DAY))
        chunk = items[offset : min(offset + limit, total)] if offset < total else []
        return b'{"feedback":[%b],"total":%d,"limit":%d,"offset":%d}' % (
            b",".join(it.raw for it in chunk),
            total,
            limit,
            offset,
        )


def _parse_ts(value: Any) -> float:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise SandboxError("created_at must be an ISO 8601 timestamp") from None


def _validated_fields(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    if "rating" in out and (isinstance(out["rating"], bool) or out["rating"] not in (1, 2, 3, 4, 5)):
        raise SandboxError("rating must be an integer from 1 to 5")
    if "status" in out and out["status"] not in seed_data.STATUSES:
        raise SandboxError("status must be new, reviewed or resolved")
    if "sentiment" in out and out["sentiment"] not in seed_data.SENTIMENTS:
        raise SandboxError("sentiment must be positive, neutral or negative")
    if "created_at" in out:
        _parse_ts(out["created_at"])
    return out

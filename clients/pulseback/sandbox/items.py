"""Feedback items of the sandbox: ground truth, control operations, listing.

:class:`ItemsMixin` is part of :class:`~.state.Sandbox`; every public method
takes the sandbox lock.
"""

from __future__ import annotations

import json
import random
import threading
from bisect import bisect_right
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import data as seed_data
from .accounts import Account, Item
from .switches import SandboxError

STATUS_NEXT = {"new": "reviewed", "reviewed": "resolved"}
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


class ItemsMixin:
    """Item methods of :class:`~.state.Sandbox`."""

    if TYPE_CHECKING:  # provided by Sandbox
        _lock: threading.RLock

        def account(self, email: str) -> Account: ...

        def now(self) -> float: ...

    # ----------------------------------------------------------- ground truth
    def ground_truth(self, email: str, *, include_malformed: bool = False) -> list[Any]:
        """All current items of an account, newest first (copies)."""
        with self._lock:
            items = self.account(email).items
            return [json.loads(it.raw) for it in items if include_malformed or not it.malformed]

    def ground_truth_json(self, email: str, *, include_malformed: bool = False) -> bytes:
        with self._lock:
            items = self.account(email).items
            return b"[" + b",".join(it.raw for it in items if include_malformed or not it.malformed) + b"]"

    def removed_ids(self, email: str) -> list[str]:
        """Ids removed from the account (by drift or the control API) and not
        added back since, oldest removal first."""
        with self._lock:
            return list(self.account(email).removed)

    # ------------------------------------------------------------- operations
    def new_item(
        self,
        acct: Account,
        ts: float,
        fields: dict[str, Any] | None = None,
        rng: random.Random | None = None,
    ) -> Item:
        """A generated new item (status new) created at ``ts``; ``fields``
        override generated ones. Not inserted; the caller holds the lock."""
        rng = rng or acct.rng
        item = seed_data.make_item(rng, created_ts=ts, age_days=0, kind=acct.kind)
        item["status"] = "new"
        if fields:
            item.update(_validated_fields(fields))
            if "rating" in fields and "sentiment" not in fields:
                item["sentiment"], item["sentiment_score"] = seed_data.sentiment_for(
                    item["rating"], rng.random()
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
                    it.set_status(status)
                    acct.version += 1
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
                it.set_status(STATUS_NEXT[it.data["status"]])
            if chosen:
                acct.version += 1
            return [it.key for it in chosen]

    def remove_items(self, email: str, ids: list[str]) -> list[str]:
        """Remove items by id (or internal key); returns the ones that existed.
        Removed ids are listed by :meth:`removed_ids` until added back."""
        with self._lock:
            return self.account(email).remove(ids)

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

    # --------------------------------------------------------------- listing
    def view(
        self, acct: Account, status: str | None, sentiment: str | None
    ) -> tuple[list[Item], list[float]]:
        """The account's items under the filters (cached until the data changes)."""
        if status is None and sentiment is None:
            return acct.items, acct.neg_ts
        key = (status, sentiment)
        cached = acct.views.get(key)
        if cached and cached[0] == acct.version:
            return cached[1], cached[2]
        if sentiment is None:  # every status's view in one pass: a sync's check asks for each
            by_status: dict[str, list[Item]] = {value: [] for value in seed_data.STATUSES}
            for it in acct.items:
                if isinstance(it.data, dict) and it.data.get("status") in by_status:
                    by_status[it.data["status"]].append(it)
            for value, items in by_status.items():
                acct.views[(value, None)] = (acct.version, items, [-it.ts for it in items])
            return acct.views[key][1], acct.views[key][2]
        items = [
            it
            for it in acct.items
            if isinstance(it.data, dict)
            and (status is None or it.data.get("status") == status)
            and it.data.get("sentiment") == sentiment
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
        """One page of ``GET /api/feedback`` as JSON bytes."""
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

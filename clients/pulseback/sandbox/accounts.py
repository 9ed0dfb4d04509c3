"""Business accounts of the sandbox and their feedback items (the data model).

Not thread-safe by itself: the :class:`~.state.Sandbox` lock guards it.
"""

from __future__ import annotations

import json
import random
from bisect import bisect_left
from typing import Any

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dump(obj: Any) -> bytes:
    """Compact UTF-8 JSON, as the sandbox serves it."""
    return _ENCODER.encode(obj).encode()


class Item:
    """One feedback item: its key (the id, or an internal key for malformed
    items), creation time, the served object and its serialised form."""

    __slots__ = ("key", "ts", "data", "raw", "malformed")

    def __init__(self, key: str, ts: float, data: Any, malformed: bool = False):
        self.key, self.ts, self.data, self.malformed = key, ts, data, malformed
        self.raw = dump(data)

    def set_status(self, status: str) -> None:
        self.data["status"] = status
        self.raw = dump(self.data)


class Account:
    """A PulseBack business: login, items newest first, and removal history.

    ``rng`` generates its seeded data and items created through the API or the
    control API; ``drift_rng`` drives the drift switches alone, so drift is
    reproducible whatever else happens to the account.
    """

    def __init__(self, email: str, password: str, name: str, kind: str, user_id: str, rng_seed: str):
        self.email, self.password, self.name, self.kind, self.user_id = email, password, name, kind, user_id
        self.rng = random.Random(rng_seed)
        self.drift_rng = random.Random(rng_seed + ":drift")
        self.drift_tick = 0  # pages served while drift was on
        self.items: list[Item] = []  # newest first
        self.neg_ts: list[float] = []  # -item.ts, parallel to items (ascending)
        self.index: dict[str, Item] = {}
        self.removed: dict[str, None] = {}  # ids removed (drift or control), in order; no malformed keys
        self.version = 0
        self.views: dict[tuple, tuple[int, list[Item], list[float]]] = {}

    def append_seeded(self, item: Item) -> None:
        """Add an item older than all present ones (seed generation, oldest last)."""
        self.items.append(item)
        self.neg_ts.append(-item.ts)
        self.index[item.key] = item

    def insert(self, item: Item) -> None:
        pos = bisect_left(self.neg_ts, -item.ts)
        self.items.insert(pos, item)
        self.neg_ts.insert(pos, -item.ts)
        self.index[item.key] = item
        self.removed.pop(item.key, None)
        self.version += 1

    def remove(self, keys: list[str]) -> list[str]:
        """Remove the items of ``keys`` that exist; returns those, in the order given."""
        gone = []
        for key in dict.fromkeys(keys):
            item = self.index.pop(key, None)
            if item is None:
                continue
            pos = bisect_left(self.neg_ts, -item.ts)
            while self.items[pos] is not item:  # same timestamps: walk to the very item
                pos += 1
            del self.items[pos]
            del self.neg_ts[pos]
            if not item.malformed:
                self.removed[key] = None
            gone.append(key)
        if gone:
            self.version += 1
        return gone

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

"""Drift while paging: an account's data changes while a client pages through it.

Switches (:class:`~.switches.Faults`): ``drift_per_request`` (add A),
``drift_remove_per_request`` (remove R), ``status_changes_per_request``
(advance the status of C), ``drift_every`` (drift on every Nth page served to
the account) and ``drift_target`` (``any`` item, or only ``served`` ones: those
of the same filtered listing before the requested offset). Each drifting page
first removes, then changes statuses, then adds new items on top, and only
then is cut, so the page and ``total`` show the drifted state, as does ground
truth. All choices come from the account's ``drift_rng`` (seeded).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING

from .accounts import Account, Item
from .items import STATUS_NEXT

if TYPE_CHECKING:
    from .state import Sandbox

DRIFT_SWITCHES = frozenset(
    {
        "drift_per_request",
        "drift_remove_per_request",
        "status_changes_per_request",
        "drift_every",
        "drift_target",
    }
)


def _pick(rng: random.Random, pool: list[Item], k: int, ok: Callable[[Item], bool]) -> list[Item]:
    """Up to ``k`` distinct items of ``pool`` that pass ``ok``, chosen at random
    (random probes first, so a big pool is not copied; a full scan if they fail)."""
    if k <= 0 or not pool:
        return []
    chosen: dict[str, Item] = {}
    for _ in range(8 * k + 16):
        if len(chosen) >= k:
            break
        it = pool[rng.randrange(len(pool))]
        if ok(it) and it.key not in chosen:
            chosen[it.key] = it
    if len(chosen) < k:
        rest = [it for it in pool if ok(it) and it.key not in chosen]
        for it in rng.sample(rest, min(k - len(chosen), len(rest))):
            chosen[it.key] = it
    return list(chosen.values())


def drift_page(sb: Sandbox, acct: Account, view: list[Item], offset: int) -> tuple[int, int, int]:
    """Apply the drift switches before one page of ``view`` (the filtered
    listing) at ``offset`` is cut. Returns (added, removed, status changes).
    The caller holds the sandbox lock."""
    faults = sb.faults
    add, remove = faults.drift_per_request, faults.drift_remove_per_request
    change = faults.status_changes_per_request
    if not (add or remove or change):
        return 0, 0, 0
    acct.drift_tick += 1
    if acct.drift_tick % faults.drift_every:
        return 0, 0, 0
    rng = acct.drift_rng
    served = faults.drift_target == "served"
    pool = view[:offset] if served else acct.items
    removed = _pick(rng, pool, remove, lambda it: not it.malformed)
    gone = set(acct.remove([it.key for it in removed]))
    pool = [it for it in pool if it.key not in gone] if served else acct.items
    changed = _pick(rng, pool, change, lambda it: not it.malformed and it.data.get("status") in STATUS_NEXT)
    for it in changed:
        it.set_status(STATUS_NEXT[it.data["status"]])
    if changed:
        acct.version += 1
    now = sb.now()
    for i in range(add):
        acct.insert(sb.new_item(acct, now + i * 1e-3, rng=rng))
    return add, len(gone), len(changed)

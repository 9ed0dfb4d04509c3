"""Newest-first offset paging that notices when it may have skipped an item.

PulseBack pages by offset over a live list, newest first. Items that arrive at
the top while a walk pages shift later pages down (an item is seen twice:
harmless); items removed above the walk's position shift them up, and an item
can then fall between two pages unseen. So each page is asked with a one-item
overlap, from the last well-formed item of the page before it (the *anchor*;
malformed items after it are asked again), and must reach back to the anchor:
it holds the anchor, or it starts with a newer item and reaches an
older one (the anchor itself was removed), or it is the end of the list. A
page that starts below the anchor may have skipped items: the walk steps back
a page and asks again. A walk that meets a page not in newest-first order, or
that needs more than ``MAX_STEPS_BACK`` steps, goes on without the check and is
*unproven* (it may not mark removals).

No database here: the fetching thread runs the walk, the writing thread stores
its pages and keeps its :class:`Cursor` so that a stopped walk resumes there.
"""

from dataclasses import dataclass
from datetime import datetime

PAGE_SIZE = 100
MAX_STEPS_BACK = 20


def item_key(item):
    """``(created_at, id)`` of a well-formed item, else None (malformed items cannot anchor)."""
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        return None
    try:
        created = datetime.fromisoformat(item["created_at"].replace("Z", "+00:00"))
    except (KeyError, AttributeError, TypeError, ValueError):
        return None
    return (created, item["id"]) if created.tzinfo is not None else None


@dataclass(frozen=True)
class Cursor:
    """Where a walk goes on: the next offset to ask, and the anchor that page must reach back to."""

    offset: int = 0
    anchor_at: datetime | None = None
    anchor_id: str | None = None

    def as_json(self):
        at = self.anchor_at.isoformat() if self.anchor_at else None
        return {"offset": self.offset, "anchor_at": at, "anchor_id": self.anchor_id}

    @classmethod
    def from_json(cls, data):
        at = data.get("anchor_at")
        return cls(data["offset"], datetime.fromisoformat(at) if at else None, data.get("anchor_id"))


@dataclass(frozen=True)
class WalkPage:
    items: list
    total: int
    last: bool  # the end of the list
    cursor: Cursor  # where the walk goes on after this page


class Walk:
    """A walk through the list from ``cursor`` (the top by default). ``fetch(offset)`` returns a
    page (``items``, ``total``) of ``PAGE_SIZE`` items at ``offset``."""

    def __init__(self, fetch, cursor=None):
        self.fetch = fetch
        self.cursor = cursor or Cursor()
        self.proven = True
        self.steps_back = 0
        self.done = False

    def next(self):
        """The next page of the walk (``done`` is set with the last one)."""
        while True:
            offset = self.cursor.offset
            page = self.fetch(offset)
            items = page.items
            last = len(items) < PAGE_SIZE or offset + len(items) >= page.total
            placed = [(index, key) for index, key in enumerate(map(item_key, items)) if key is not None]
            keys = [key for _, key in placed]
            if any(newer[0] < older[0] for newer, older in zip(keys, keys[1:], strict=False)):
                self.proven = False  # not newest first: nothing can be checked
            place = self._place(keys, last, offset)
            if place == "gap" and self.proven:
                self.steps_back += 1
                if self.steps_back <= MAX_STEPS_BACK:
                    self.cursor = Cursor(max(0, offset - (PAGE_SIZE - 1)), *self._anchor())
                    continue
                self.proven = False
            step, anchor = max(0, len(items) - 1), self._anchor()
            if place != "beyond" and keys:
                # The next page starts at the anchor: its last well-formed item, which is not the
                # page's last item when malformed ones follow it.
                index, anchor = placed[-1]
                step = index or step
            self.cursor = Cursor(offset + step, *anchor)
            self.done = last
            return WalkPage(items, page.total, last, self.cursor)

    def _anchor(self):
        return self.cursor.anchor_at, self.cursor.anchor_id

    def _place(self, keys, last, offset):
        """How a page lies against the anchor: ``covers`` (nothing can have been skipped),
        ``beyond`` (all newer than the anchor: many items arrived; go on) or ``gap``."""
        anchor_at, anchor_id = self._anchor()
        if offset == 0 or anchor_id is None:
            return "covers"
        if not keys:
            return "gap" if last else "covers"  # an empty end may have skipped; malformed only: unknowable
        if any(key[1] == anchor_id for key in keys):
            return "covers"
        if keys[0][0] > anchor_at:
            return "covers" if keys[-1][0] <= anchor_at or last else "beyond"
        return "gap"

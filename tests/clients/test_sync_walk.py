"""The walk's skip check, over a list that changes between pages (no HTTP, no database)."""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from clients.sync_walk import MAX_STEPS_BACK, PAGE_SIZE, Cursor, Walk

START = datetime(2026, 3, 1, tzinfo=UTC)


@dataclass
class Page:
    items: list
    total: int


def item(n):
    """Item n: the higher n, the newer."""
    return {"id": f"id-{n:05d}", "created_at": (START + timedelta(minutes=n)).isoformat()}


class LiveList:
    """A newest-first list; ``between(fetches)`` changes it before each page is cut."""

    def __init__(self, count, between=None):
        self.items = [item(n) for n in range(count, 0, -1)]
        self.between = between or (lambda live, fetches: None)
        self.fetches = 0
        self.newest = count

    def fetch(self, offset):
        self.between(self, self.fetches)
        self.fetches += 1
        return Page(self.items[offset : offset + PAGE_SIZE], len(self.items))

    def add_on_top(self, n):
        for _ in range(n):
            self.newest += 1
            self.items.insert(0, item(self.newest))


def walk_all(live, cursor=None):
    walk, seen = Walk(live.fetch, cursor), set()
    while not walk.done:
        seen.update(i["id"] for i in walk.next().items)
    return walk, seen


def test_a_still_list_is_walked_with_one_item_of_overlap():
    live = LiveList(730)

    walk, seen = walk_all(live)

    assert seen == {i["id"] for i in live.items}
    assert (walk.proven, live.fetches) == (True, 8)  # offsets 0, 99, 198, ... 693


def test_malformed_items_ending_a_page_do_not_make_the_walk_step_back():
    """The next page starts at the last well-formed item: a malformed one cannot anchor it."""
    live = LiveList(730)
    for position in (98, 99, 295):  # two end the first page (0-99), one the third (196-295)
        live.items[position] = {"id": None, "comment": "malformed"}

    walk, seen = walk_all(live)

    assert walk.proven and walk.steps_back == 0
    assert seen >= {i["id"] for i in live.items if i["id"]}
    assert live.fetches == 8


def test_removals_above_the_walk_are_caught_by_stepping_back():
    def remove_above(live, fetches):
        if fetches in (3, 5):  # before the 4th and 6th page: two items already served vanish
            del live.items[10:12]

    live = LiveList(1000, remove_above)
    walk, seen = walk_all(live)

    assert walk.proven
    assert {i["id"] for i in live.items} <= seen  # nothing that is still there was skipped
    assert walk.steps_back == 2


def test_without_the_overlap_check_the_same_removals_skip_items():
    """The failure the check exists for: plain offset paging loses the shifted items."""

    def remove_above(live, fetches):
        if fetches in (3, 5):
            del live.items[10:12]

    live = LiveList(1000, remove_above)
    seen = set()
    for offset in range(0, 1000, PAGE_SIZE):
        seen.update(i["id"] for i in live.fetch(offset).items)

    assert len({i["id"] for i in live.items} - seen) == 4


def test_items_arriving_on_top_shift_pages_without_a_step_back():
    live = LiveList(500, lambda live, fetches: live.add_on_top(7))

    walk, seen = walk_all(live)

    assert walk.proven and walk.steps_back == 0
    assert {i["id"] for i in live.items[-500:]} <= seen  # every item that was there at the start


def test_a_walk_resumes_from_its_cursor_and_checks_it():
    live = LiveList(600)
    first = Walk(live.fetch)
    for _ in range(3):
        page = first.next()
    del live.items[50:55]  # removed above the cursor while the walk was stopped

    walk, seen = walk_all(live, Cursor.from_json(page.cursor.as_json()))

    assert walk.proven
    assert {i["id"] for i in live.items[page.cursor.offset :]} <= seen
    assert walk.steps_back == 1


def test_a_list_in_no_stable_order_makes_the_walk_unproven_not_endless():
    shuffle = random.Random(4).shuffle
    live = LiveList(2500, lambda live, fetches: shuffle(live.items))  # each page cut from another order

    walk, _seen = walk_all(live)

    assert not walk.proven
    assert live.fetches <= 2500 // (PAGE_SIZE - 1) + 1  # no step back once the order is known broken


def test_a_walk_that_keeps_finding_gaps_gives_up_checking_after_a_bound():
    def remove_above(live, fetches):
        del live.items[:3]  # before every page, items already served vanish

    live = LiveList(5000, remove_above)

    walk, _seen = walk_all(live)

    assert not walk.proven
    assert walk.steps_back == MAX_STEPS_BACK + 1

"""The passes of one sync run over a location's PulseBack list, and the check of what they stored.

- A *walk* pages newest first through the whole list (or the last days), with the
  skip check of clients.sync_walk, a second thread fetching ahead while this one
  writes. Items are written every ``BATCH_ITEMS``, and whatever was fetched is
  written on every way out (an error, a deferral). The fetcher may hold a batch's
  worth of pages ready (``AHEAD_PAGES``), so that it fetches the next batch while
  this thread writes one: no more than 10,100 fetched items are ever waiting to be
  committed (the batch being written, the pages ready, the page in the fetcher's
  hands). A full walk keeps its cursor on the location with each batch, so a walk
  that stopped (failed, deferred, or its worker killed) resumes there: a killed
  one fetches at most those 10,100 items again. A full walk that reached the end
  with every page checked saw the complete list: only then are the items it did
  not see marked removed.
- A *head pass* pages newest first until a page holds nothing new (every item
  already stored), or the end: it brings what arrived meanwhile.
- The *check* reads the newest page (and writes it), then PulseBack's count of
  each status, and compares them with what is stored (malformed items, which
  PulseBack counts but the portal does not store, are remembered per location).
  Consistent means the stored data matches PulseBack's total and statuses as of
  that check.

Roll-ups: a full walk builds the location's once, at its end, with the removals it marks; a
walk that stops half-way builds them on its way out (and a walk whose worker was killed, by the
next run of the location). Every other batch refreshes the days it touched in its own
transaction. So the roll-ups equal the rows whenever no walk is under way (the feedback lists'
totals are read from them).
"""

import contextvars
import json
import logging
import queue
import sys
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from hashlib import blake2b

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from agency import events
from clients.feedback_items import (
    MalformedItem,
    StagedItem,
    feedback_statistics_refresh,
    feedback_upsert,
    stage_item,
)
from clients.models import Feedback, FeedbackMonthly, Location, Status, SyncKind, SyncRun
from clients.rollups import feedback_daily_rebuild, feedback_daily_refresh_days
from clients.sessions import LocationTokens
from clients.sync_relay import TokenRequest, TokensFromWriter, fetch_ahead
from clients.sync_walk import PAGE_SIZE, Cursor, Walk

logger = logging.getLogger("clients.sync")

# Items written in one statement (and one transaction, with the walk's cursor). Each batch pays
# its own round trips, planning and commit: backfills, measured side by side, ran at 20,000
# items/s with 1,000-item batches and 24,000 with these, for a few megabytes more in memory.
BATCH_ITEMS = 5000
# Pages the fetching thread may hold ready (plus one in its hands): a batch's worth. With fewer,
# the writer waits after each batch for the pages the fetcher could not hold meanwhile.
AHEAD_PAGES = 50
# While the fetcher runs Python, the writer waits for the interpreter after each of its round
# trips to PostgreSQL (a batch's COPY alone makes dozens): up to Python's switch interval, 5 ms by
# default. A process that syncs switches threads every 0.2 ms: backfills measured about a tenth
# faster, for at most a few thousand switches a second while both threads run.
SWITCH_INTERVAL_SECONDS = 0.0002
STATUSES = tuple(Status.values)
DAY_SECONDS = 86400


@dataclass(frozen=True)
class Unstaged:
    """A malformed item met by the fetching thread, handed over with why (the writer counts it)."""

    item: object
    error: MalformedItem


def staged(item):
    """``item`` checked and turned into its stage row, or Unstaged when it is malformed."""
    try:
        return stage_item(item)
    except MalformedItem as exc:
        return Unstaged(item, exc)


def staged_page(page):
    """``page`` with its items staged, in the fetching thread: the writing thread then only copies
    rows, and this work overlaps its waits for PostgreSQL."""
    return replace(page, items=[staged(item) for item in page.items])


@dataclass(frozen=True)
class Verdict:
    """The check: ``unseen`` items PulseBack counts that the store does not reflect (missing, or
    with an older status), ``extra`` items stored that PulseBack no longer counts; both at least."""

    unseen: int = 0
    extra: int = 0

    @property
    def consistent(self):
        return not (self.unseen or self.extra)


def malformed_key(item):
    """How a malformed item is recognised when it comes again: its id, else its content."""
    if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"].strip():
        return item["id"]
    text = json.dumps(item, sort_keys=True, default=str)
    return "content:" + blake2b(text.encode(), digest_size=16).hexdigest()


def malformed_status(item):
    status = item.get("status") if isinstance(item, dict) else None
    return status if status in STATUSES else None


class Passes:
    """The passes of one run. ``wait_budget``: seconds the run may wait in all, for PulseBack's
    named waits (its client's) and for the sign-in budget (here)."""

    def __init__(self, *, run, location, client, keeper, wait_budget, on_progress=None):
        self.run, self.location, self.client, self.keeper = run, location, client, keeper
        self.wait_budget, self.budget_waited = wait_budget, 0.0
        self.tokens = LocationTokens(location, client, waiter=self.wait_for_budget)
        self.on_progress = on_progress
        self.pass_started = run.started_at
        self.walked = False  # a full walk of this run reached the end of the list
        self.malformed = {}  # malformed items met in this run since its last full walk: key -> status
        self.skipped = set()  # every malformed item met in this run
        self.walk_malformed = None  # ... in the full walk under way (carried by its cursor)
        # Rows written that the roll-ups do not reflect yet: a walk's batches (or, with a walk's
        # cursor left behind, those of a walk whose worker was killed).
        self.rollups_behind = bool(location.sync_cursor)
        # The next batch is probably all new: the last one was (or a walk starts on an empty location).
        self.expect_new = False
        # The rows the last batch of this pass wrote, by id: walks ask each page with a one-item
        # overlap, so the next batch starts with one of them, which needs no writing if unchanged.
        self.last_written, self.last_written_pass = {}, None

    def wait_for_budget(self, seconds):
        """Wait for the sign-in budget if what is left of the wait budget allows (else False)."""
        if seconds > self.wait_budget - self.client.stats.server_waited_seconds - self.budget_waited:
            return False
        self.keeper.sleep(seconds)
        self.budget_waited += seconds
        return True

    # ------------------------------------------------------------------ reading and writing
    def fetch(self, offset, *, days, tokens=None, limit=PAGE_SIZE, status=None, check=False):
        """A page of the list; ``check``: a request of the check (not counted as a fetched page)."""
        page = self.client.list_feedback(
            tokens or self.tokens, limit=limit, offset=offset, days=days, status=status
        )
        if not check:
            self.run.pages += 1
            self.run.fetched += len(page.items)
        if self.run.expected is None:
            self.run.expected = page.total
        return page

    def _valid(self, items):
        """The stage rows of the items to store (items may come staged by the fetching thread);
        malformed ones are counted and remembered instead."""
        valid = []
        for item in items:
            if not isinstance(item, StagedItem | Unstaged):
                item = staged(item)
            if isinstance(item, StagedItem):
                valid.append(item)
                continue
            key = malformed_key(item.item)
            if key not in self.skipped:
                self.skipped.add(key)
                self.run.skipped += 1
                logger.warning("skipped a malformed PulseBack item (%s): %s", key, item.error)
            self.malformed[key] = malformed_status(item.item)
            if self.walk_malformed is not None:
                self.walk_malformed[key] = malformed_status(item.item)
        return valid

    def write(self, items, *, cursor=None):
        """Store items (one transaction), with the walk's ``cursor`` when given, else with the
        roll-ups of the days they touched."""
        valid = self._valid(items)
        if self.last_written_pass == self.pass_started:
            valid = [item for item in valid if self.last_written.get(item.pulseback_id) != item.row]
        with transaction.atomic():
            written_at = timezone.now()
            result = feedback_upsert(
                location=self.location, items=valid, now=written_at, run_started=self.pass_started,
                expect_new=self.expect_new,
            )  # fmt: skip
            if valid:  # all new, but for items written earlier in this run
                self.expect_new = (
                    bool(result.created)
                    and not result.updated
                    and (result.unchanged == result.seen_earlier_in_run)
                )
            self.last_written = {item.pulseback_id: item.row for item in valid}
            self.last_written_pass = self.pass_started
            if cursor is None:
                feedback_daily_refresh_days(location=self.location, days=result.touched_days)
            else:
                self.rollups_behind = True
            self.run.created += result.created
            self.run.updated += result.updated
            self.run.unchanged += max(0, result.unchanged - result.seen_earlier_in_run)  # each item once
            if cursor is not None:
                state = {**cursor.as_json(), "started": self.pass_started.isoformat()}
                state["malformed"] = self.walk_malformed
                Location.objects.filter(pk=self.location.pk).update(sync_cursor=state)
            self.save_run()
            events.feedback_batch_written.send(
                sender=SyncRun, location=self.location, run=self.run, written_at=written_at, result=result
            )
        self.keeper.beat()
        if self.on_progress:
            self.on_progress(self.run)
        return result

    def save_run(self):
        stats = self.client.stats
        self.run.retries = stats.retries
        self.run.waited_seconds = stats.server_waited_seconds + self.budget_waited
        self.run.sign_ins, self.run.refreshes = self.tokens.sign_ins, self.tokens.refreshes
        self.run.save()

    # ---------------------------------------------------------------------------- passes
    def stream(self, *, days, cursor=None, durable=False):
        """Walk from ``cursor`` with a fetching thread, writing as pages arrive; returns the walk."""
        pages = queue.Queue(maxsize=AHEAD_PAGES)
        stop = threading.Event()
        relay = TokensFromWriter(pages, stop)
        walk = Walk(lambda offset: self.fetch(offset, days=days, tokens=relay), cursor)
        self.keeper.interrupt.clear()
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_SECONDS))
        # The fetcher logs with this thread's context (the agency, location and run ids).
        run_in_context = contextvars.copy_context().run
        fetcher = threading.Thread(
            target=run_in_context, args=(fetch_ahead, walk, pages, stop, staged_page), daemon=True
        )
        fetcher.start()
        batch, at = [], None
        try:
            while True:
                try:
                    page = pages.get(timeout=self.keeper.every)
                except queue.Empty:
                    self.keeper.beat()  # the fetcher waits as PulseBack asked
                    continue
                if isinstance(page, TokenRequest):
                    page.answer(self.tokens)
                    continue
                if isinstance(page, BaseException):
                    self.write(batch, cursor=at if durable else None)  # progress kept on the way out
                    raise page
                if page is None:
                    break
                batch.extend(page.items)
                at = page.cursor
                if len(batch) >= BATCH_ITEMS:
                    self.write(batch, cursor=at if durable else None)
                    batch = []
            self.write(batch, cursor=at if durable else None)
        finally:
            stop.set()
            self.keeper.interrupt.set()
            fetcher.join()
        return walk

    def full_walk(self):
        """Walk the whole list, from where an unfinished full walk stopped if there is one; mark
        removed what a complete walk did not see."""
        saved = Location.objects.values_list("sync_cursor", flat=True).get(pk=self.location.pk)
        if saved:
            cursor = Cursor.from_json(saved)
            self.pass_started = datetime.fromisoformat(saved["started"])
            self.walk_malformed = dict(saved.get("malformed") or {})
            logger.info("location %s: resuming a full walk at offset %s", self.location.pk, cursor.offset)
        else:
            cursor, self.pass_started, self.walk_malformed = None, timezone.now(), {}
        # A walk that starts on an empty location (a first backfill) inserts, and has nothing to
        # mark removed: every row it finds at its end was written since it started.
        empty = not saved and not Feedback.objects.filter(location=self.location).exists()
        self.expect_new = self.expect_new or empty
        walk = self.stream(days=None, cursor=cursor, durable=True)
        with transaction.atomic():
            if walk.proven:
                if not empty:
                    self.run.removed += (
                        Feedback.objects.filter(location=self.location, removed_at__isnull=True)
                        .filter(last_seen_at__lt=self.pass_started)
                        .update(removed_at=timezone.now())
                    )
                self.location.malformed_items, self.malformed = self.walk_malformed, {}
            else:
                logger.warning("location %s: PulseBack's pages were not in the expected order; "
                               "removals not marked", self.location.pk)  # fmt: skip
            feedback_daily_rebuild(location=self.location)
            self.rollups_behind = False
            self.expect_new = False  # what comes next (the check's newest page) was just written
            Location.objects.filter(pk=self.location.pk).update(
                sync_cursor=None, malformed_items=self.location.malformed_items
            )
            self.save_run()
        if empty:
            feedback_statistics_refresh()
        self.walk_malformed = None
        self.walked = True

    def head_pass(self, days):
        """Newest first until a page holds nothing new (every item already stored), or the end."""
        walk = Walk(lambda offset: self.fetch(offset, days=days))
        while not walk.done:
            page = walk.next()
            if self.write(page.items).created == 0:
                return

    def verify(self, days):
        """The newest page (written), then PulseBack's count of each status, against the store."""
        started = time.time()
        head = self.fetch(0, days=days, check=True)
        self.write(head.items)
        theirs = {
            status: self.fetch(0, days=days, limit=1, status=status, check=True).total for status in STATUSES
        }
        theirs[None] = head.total
        low, high = self._stored_counts(days, started, time.time())
        malformed = self._malformed_counts(days)
        short = {key: max(0, total - malformed[key] - high[key]) for key, total in theirs.items()}
        over = {key: max(0, low[key] - (total - malformed[key])) for key, total in theirs.items()}
        unseen = max(sum(short[status] for status in STATUSES), short[None])
        extra = max(sum(over[status] for status in STATUSES), over[None])
        return Verdict(unseen=unseen, extra=extra)

    def _stored_counts(self, days, started, ended):
        """Live stored items by status (None: all), as (fewest, most) over the time the counts took
        (the ``days`` window moves meanwhile; PulseBack's times are whole seconds). The whole list's
        are read from the monthly roll-ups when they are current (they equal the rows then): a
        few rows a year instead of every item."""
        if not days and not self.rollups_behind:
            sums = FeedbackMonthly.objects.filter(location=self.location).aggregate(
                **{status: Coalesce(Sum(f"status_{status}"), 0) for status in STATUSES}
            )
            counts = {**sums, None: sum(sums.values())}
            return counts, counts
        stored = Feedback.objects.filter(location=self.location, removed_at__isnull=True)
        if days:
            widest = datetime.fromtimestamp(started - days * DAY_SECONDS - 1, tz=UTC)
            narrowest = datetime.fromtimestamp(ended - days * DAY_SECONDS, tz=UTC)
            stored = stored.filter(created_at__gte=widest)
            rows = stored.values("status").annotate(
                high=Count("pk"), low=Count("pk", filter=Q(created_at__gte=narrowest))
            )
        else:
            rows = stored.values("status").annotate(high=Count("pk"), low=Count("pk"))
        low, high = dict.fromkeys([*STATUSES, None], 0), dict.fromkeys([*STATUSES, None], 0)
        for row in rows:
            for counts, value in ((low, row["low"]), (high, row["high"])):
                counts[row["status"]] += value
                counts[None] += value
        return low, high

    def _malformed_counts(self, days):
        """Malformed items PulseBack counts in the scope, by status (None: all)."""
        known = self.malformed if days else {**self.location.malformed_items, **self.malformed}
        counts = dict.fromkeys([*STATUSES, None], 0)
        for status in known.values():
            if status is not None:
                counts[status] += 1
            counts[None] += 1
        return counts

    # ------------------------------------------------------------------------------ a run
    def settle(self, days):
        """Check; when the check disagrees, bring what arrived meanwhile and check again."""
        verdict = self.verify(days)
        if not verdict.consistent:
            self.head_pass(days)
            verdict = self.verify(days)
        return verdict

    def execute(self, kind):
        """The passes of ``kind``; returns the last check's Verdict. A catch-up (follow-up) run
        pages from the newest, checks, and walks the whole list only when the check disagrees."""
        days = settings.SYNC_INCREMENTAL_DAYS if kind == SyncKind.INCREMENTAL else None
        try:
            if kind == SyncKind.INCREMENTAL:
                self.stream(days=days)
            elif kind == SyncKind.FOLLOW_UP:
                self.head_pass(None)
            else:
                self.full_walk()
            verdict = self.settle(days)
            if not verdict.consistent and kind == SyncKind.FOLLOW_UP:
                self.full_walk()
                verdict = self.settle(None)
            return verdict
        finally:
            self.finish()

    def finish(self):
        """On every way out: the roll-ups of a walk that stopped half-way, the malformed items met,
        the counters."""
        if self.rollups_behind:
            feedback_daily_rebuild(location=self.location)
            self.rollups_behind = False
        if self.malformed:
            self.location.malformed_items = {**self.location.malformed_items, **self.malformed}
            Location.objects.filter(pk=self.location.pk).update(malformed_items=self.location.malformed_items)
        self.save_run()

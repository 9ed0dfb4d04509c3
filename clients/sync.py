"""The sync engine: brings one location's feedback in line with PulseBack.

Kinds: a *backfill* (all pages) when a location is connected; an *incremental*
pull of the last few days on a schedule; a nightly *reconcile* (all pages) that
catches status changes on old items and marks items PulseBack no longer returns
as removed. Every step is an idempotent upsert, so a run that dies half-way is
completed by the next one.

Offset paging over a live data set drifts: new items shift later pages (an
item is seen twice: harmless) and removed items can make one be skipped. After
paging, the run compares what it saw with PulseBack's total and pages again
(from the newest, then fully if needed) until they agree.
"""

import logging
import queue
import threading
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from agency import events
from clients.feedback_items import MalformedItem, feedback_upsert, item_check
from clients.models import ConnectionState, Feedback, Location, SyncKind, SyncRun, SyncState
from clients.pulseback import InvalidCredentials, PulseBackError, RateLimited, Unauthorized
from clients.rollups import feedback_daily_rebuild, feedback_daily_refresh
from clients.sessions import LocationTokens, pulseback_client_for
from clients.sync_lock import (
    STALE_RUN_ERROR,
    SyncPaused,
    sync_lock_acquire,
    sync_lock_release,
    sync_lock_renew,
)
from clients.sync_relay import TokenRequest, TokensFromWriter, put

logger = logging.getLogger(__name__)

PAGE_SIZE = 100
PAGES_PER_BATCH = 10
MAX_EXTRA_PASSES = 2


class _Run:
    """One pass-by-pass execution of a SyncRun, with its counters."""

    def __init__(self, run, location, client, on_progress):
        self.run = run
        self.location = location
        self.client = client
        self.tokens = LocationTokens(location, client)
        self.on_progress = on_progress
        self.started = run.started_at
        self.total = None
        self.owner = None
        self.pass_skipped = 0  # malformed items met in the latest full pass

    def page(self, offset, days, tokens=None):
        page = self.client.list_feedback(tokens or self.tokens, limit=PAGE_SIZE, offset=offset, days=days)
        self.total = page.total
        if self.run.expected is None:
            self.run.expected = page.total
        self.run.pages += 1
        self.run.fetched += len(page.items)
        return page

    def write(self, items):
        valid = []
        for item in items:
            try:
                item_check(item)
                valid.append(item)
            except MalformedItem as exc:
                self.pass_skipped += 1
                self.run.skipped = max(self.run.skipped, self.pass_skipped)
                item_id = item.get("id") if isinstance(item, dict) else None
                logger.warning("skipped a malformed PulseBack item (id %r): %s", item_id, exc)
        with transaction.atomic():
            written_at = timezone.now()
            result = feedback_upsert(
                location=self.location, items=valid, now=written_at, run_started=self.started
            )
            feedback_daily_refresh(location=self.location, created_at=[item["created_at"] for item in valid])
            self.run.created += result.created
            self.run.updated += result.updated
            self.run.unchanged += result.unchanged
            self.run.retries = self.client.stats.retries
            self.run.save()
            events.feedback_batch_written.send(
                sender=SyncRun, location=self.location, run=self.run, written_at=written_at, result=result
            )
        sync_lock_renew(location_id=self.location.pk, owner=self.owner)
        if self.on_progress:
            self.on_progress(self.run)
        return result

    def full_pass(self, days):
        """Page from the newest to the end, writing a batch every few pages.

        A fetcher thread reads the next pages while this thread writes, through
        a queue of at most two batches: memory stays bounded whatever the volume.
        """
        self.pass_skipped = 0
        pages = queue.Queue(maxsize=PAGES_PER_BATCH * 2)
        stop = threading.Event()
        fetcher = threading.Thread(target=self._fetch_all, args=(days, pages, stop), daemon=True)
        fetcher.start()
        batch = []
        try:
            while True:
                page = pages.get()
                if isinstance(page, TokenRequest):
                    page.answer(self.tokens)
                    continue
                if isinstance(page, BaseException):
                    raise page
                if page is None:
                    break
                batch.extend(page.items)
                if len(batch) >= PAGE_SIZE * PAGES_PER_BATCH:
                    self.write(batch)
                    batch = []
            self.write(batch)
        finally:
            stop.set()
            fetcher.join()

    def _fetch_all(self, days, pages, stop):
        tokens = TokensFromWriter(pages, stop)
        try:
            offset = 0
            while not stop.is_set():
                page = self.page(offset, days, tokens)
                put(pages, page, stop)
                offset += PAGE_SIZE
                if len(page.items) < PAGE_SIZE or offset >= page.total:
                    break
            put(pages, None, stop)
        except BaseException as exc:  # handed to the writing thread, which raises it
            put(pages, exc, stop)

    def head_pass(self, days):
        """Page from the newest until a page holds nothing new to this run (new items arrived)."""
        offset, skipped_in_full_pass = 0, self.pass_skipped
        while True:
            page = self.page(offset, days)
            result = self.write(page.items)
            self.pass_skipped = skipped_in_full_pass  # malformed items here were met already
            offset += PAGE_SIZE
            if result.seen_earlier_in_run >= len(page.items) or len(page.items) < PAGE_SIZE:
                return

    def seen_in_run(self, days):
        """Distinct items this run has seen, malformed ones included (PulseBack counts them too)."""
        seen = Feedback.objects.filter(location=self.location, last_seen_at__gte=self.started)
        if days:
            seen = seen.filter(created_at__gte=timezone.now() - timedelta(days=days))
        return seen.count() + self.pass_skipped

    def execute(self, kind):
        days = settings.SYNC_INCREMENTAL_DAYS if kind == SyncKind.INCREMENTAL else None
        self.full_pass(days)
        passes = 0
        while self.seen_in_run(days) < self.total and passes < MAX_EXTRA_PASSES:
            passes += 1
            self.head_pass(days) if passes == 1 else self.full_pass(days)
        complete = self.seen_in_run(days) >= self.total
        if kind != SyncKind.INCREMENTAL and complete:
            self.run.removed = (
                Feedback.objects.filter(location=self.location, removed_at__isnull=True)
                .filter(Q(last_seen_at__lt=self.started))
                .update(removed_at=timezone.now())
            )
            feedback_daily_rebuild(location=self.location)
        elif not complete:
            logger.warning(
                "sync of location %s saw %s items but PulseBack counts %s; removals not marked",
                self.location.pk,
                self.seen_in_run(days),
                self.total,
            )


@transaction.atomic
def _fail(run, location, state, message):
    """The run and its location's state change together: a page never sees one without the other."""
    now = timezone.now()
    run.state, run.finished_at, run.error = SyncState.FAILED, now, message
    run.save()
    Location.objects.filter(pk=location.pk).update(state=state, last_error=message, last_error_at=now)
    if location.state != state:
        events.location_state_changed.send(sender=Location, location=location, old=location.state, new=state)
    events.sync_failed.send(sender=SyncRun, run=run, location=location, message=message)


def location_sync(*, location_id, kind, run_id=None, on_progress=None):
    """Run one sync of a location in the current agency schema; return its SyncRun.

    Raises SyncLocked if another worker holds the location, SyncPaused if paused,
    and re-raises RateLimited and transient PulseBack errors (after recording
    them) so that a task can retry later. Invalid credentials are recorded and
    not raised: retrying cannot help until someone enters a new password.
    """
    location = Location.objects.select_related("client").get(pk=location_id)
    if location.is_paused:
        raise SyncPaused(f"location {location_id} is paused")
    # A queued run is taken up; a retry (or a redelivered message) records a run of its own, so a
    # failed attempt stays failed in the history.
    run = SyncRun.objects.filter(pk=run_id, state=SyncState.QUEUED).first() if run_id else None
    run = run or SyncRun.objects.create(location=location, kind=kind)
    owner = sync_lock_acquire(location_id=location_id)
    SyncRun.objects.filter(location=location, state=SyncState.RUNNING).exclude(pk=run.pk).update(
        state=SyncState.FAILED, finished_at=timezone.now(), error=STALE_RUN_ERROR
    )
    run.kind, run.state, run.started_at = kind, SyncState.RUNNING, timezone.now()
    run.save()
    client = pulseback_client_for(location)
    execution = _Run(run, location, client, on_progress)
    execution.owner = owner
    try:
        execution.execute(kind)
    except InvalidCredentials as exc:
        _fail(run, location, ConnectionState.INVALID_CREDENTIALS, f"PulseBack refused the login: {exc}")
    except Unauthorized as exc:
        Location.objects.filter(pk=location.pk).update(access_token=None, refresh_token=None)
        _fail(run, location, ConnectionState.INVALID_CREDENTIALS, str(exc))
    except RateLimited as exc:
        _fail(run, location, ConnectionState.RATE_LIMITED, str(exc))
        raise
    except PulseBackError as exc:
        _fail(run, location, ConnectionState.UNREACHABLE, str(exc))
        raise
    else:
        now = timezone.now()
        updates = {"state": ConnectionState.CONNECTED, "last_synced_at": now, "last_error": ""}
        if location.connected_at is None:
            updates["connected_at"] = now
        if kind != SyncKind.INCREMENTAL:
            updates["backfilled_at"] = now
        with transaction.atomic():  # run and location change together (progress pages poll both)
            run.state, run.finished_at, run.retries = SyncState.SUCCEEDED, now, client.stats.retries
            run.save()
            Location.objects.filter(pk=location.pk).update(**updates)
            if location.state != ConnectionState.CONNECTED:
                events.location_state_changed.send(
                    sender=Location, location=location, old=location.state, new=ConnectionState.CONNECTED
                )
            events.sync_finished.send(sender=SyncRun, run=run, location=location)
        logger.info(
            "synced location %s in %s (%s): %s fetched, %s new, %s updated, %s removed, %s skipped",
            location.pk,
            connection.schema_name,
            kind,
            run.fetched,
            run.created,
            run.updated,
            run.removed,
            run.skipped,
        )
    finally:
        client.close()
        sync_lock_release(location_id=location_id, owner=owner)
    return run

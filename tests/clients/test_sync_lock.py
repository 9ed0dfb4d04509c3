"""The sync lock stays held through long waits, and a deferred run stays the location's one run."""

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from clients.models import Location, SyncKind, SyncRun, SyncState
from clients.services import QUEUED_GRACE, sync_queue
from clients.sync_lock import LockKeeper, SyncStopped, sync_lock_acquire
from clients.tasks import sync_location
from tests.factories import LocationFactory


@pytest.fixture
def location(agency):
    return LocationFactory()


def expiry(location):
    return Location.objects.get(pk=location.pk).sync_lock_expires_at


def test_a_long_wait_keeps_renewing_the_lock(location, settings):
    settings.SYNC_LOCK_SECONDS = 3  # renewed every second while the run waits
    keeper = LockKeeper(location_id=location.pk, owner=sync_lock_acquire(location_id=location.pk))
    before = expiry(location)

    keeper.sleep(2.2)

    assert expiry(location) - before >= timedelta(seconds=2)


def test_the_fetching_threads_wait_ends_when_the_run_stops_the_pass(location):
    keeper = LockKeeper(location_id=location.pk, owner=sync_lock_acquire(location_id=location.pk))
    outcome = []

    def fetcher():
        try:
            keeper.sleep(600)
        except SyncStopped as exc:
            outcome.append(exc)

    thread = threading.Thread(target=fetcher)
    started = time.monotonic()
    thread.start()
    keeper.interrupt.set()
    thread.join(5)

    assert outcome and time.monotonic() - started < 5


def test_a_deferred_run_is_the_locations_run_until_it_resumes(location, django_capture_on_commit_callbacks):
    deferred = SyncRun.objects.create(
        location=location, kind=SyncKind.BACKFILL, state=SyncState.DEFERRED,
        retry_at=timezone.now() + timedelta(minutes=10),
    )  # fmt: skip

    with django_capture_on_commit_callbacks() as sends:
        answered = sync_queue(location=location, kind=SyncKind.INCREMENTAL)

    assert (answered, sends) == (deferred, [])


def test_a_deferred_run_whose_resumption_never_came_is_sent_again(
    location, monkeypatch, django_capture_on_commit_callbacks
):
    deferred = SyncRun.objects.create(
        location=location, kind=SyncKind.BACKFILL, state=SyncState.DEFERRED,
        retry_at=timezone.now() - timedelta(hours=1),
    )  # fmt: skip
    sent = []
    monkeypatch.setattr(sync_location, "delay", lambda *args: sent.append(args))

    with django_capture_on_commit_callbacks(execute=True):
        answered = sync_queue(location=location, kind=SyncKind.INCREMENTAL)

    assert answered == deferred
    assert sent == [(location.pk, SyncKind.BACKFILL, deferred.pk)]


def test_a_queued_run_whose_message_was_lost_is_sent_again_and_one_waiting_is_not(
    location, monkeypatch, django_capture_on_commit_callbacks
):
    other = LocationFactory()
    queued = {"kind": SyncKind.INCREMENTAL, "state": SyncState.QUEUED}
    started_by = timezone.now() - QUEUED_GRACE
    lost = SyncRun.objects.create(location=location, queued_at=started_by - timedelta(minutes=1), **queued)
    waiting = SyncRun.objects.create(location=other, queued_at=started_by + timedelta(minutes=1), **queued)
    sent = []
    monkeypatch.setattr(sync_location, "delay", lambda *args: sent.append(args))

    with django_capture_on_commit_callbacks(execute=True):
        answered = [sync_queue(location=each, kind=SyncKind.BACKFILL) for each in (location, other)]

    assert answered == [lost, waiting]  # still each location's one run
    assert sent == [(location.pk, SyncKind.INCREMENTAL, lost.pk)]

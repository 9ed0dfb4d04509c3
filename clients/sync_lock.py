"""One sync per location at a time: a lock on the location's row that expires unless renewed, and
is taken at once when its holder's process is gone. Runs whose worker died are failed here. While a
run waits (PulseBack's named waits, the sign-in budget), its LockKeeper keeps the lock renewed."""

import os
import socket
import threading
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clients.models import Location, SyncRun, SyncState

STALE_RUN_ERROR = "the worker running this sync stopped"


class SyncLocked(Exception):
    """Another worker is syncing this location right now."""


class SyncPaused(Exception):
    """The location is paused: nothing is synced until it is resumed."""


class SyncStopped(Exception):
    """The run stopped a pass (it failed or ended): its fetching thread gives up its wait."""


def _lock_owner():
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _owner_is_dead(owner):
    """A lock held by a process of this machine that no longer exists can be taken at once."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def sync_lock_acquire(*, location_id):
    """Take the location's sync lock (it expires unless renewed). Raise SyncLocked if held."""
    owner = _lock_owner()
    now = timezone.now()
    expires = now + timedelta(seconds=settings.SYNC_LOCK_SECONDS)
    with transaction.atomic():
        location = Location.objects.select_for_update().get(pk=location_id)
        held = (
            location.sync_lock_owner and location.sync_lock_expires_at and location.sync_lock_expires_at > now
        )
        if held and not _owner_is_dead(location.sync_lock_owner):
            raise SyncLocked(f"location {location_id} is being synced by another worker")
        location.sync_lock_owner, location.sync_lock_expires_at = owner, expires
        location.save(update_fields=["sync_lock_owner", "sync_lock_expires_at"])
    return owner


def sync_lock_renew(*, location_id, owner):
    expires = timezone.now() + timedelta(seconds=settings.SYNC_LOCK_SECONDS)
    renewed = Location.objects.filter(pk=location_id, sync_lock_owner=owner).update(
        sync_lock_expires_at=expires
    )
    if not renewed:
        raise SyncLocked(f"lost the sync lock of location {location_id}")


def sync_lock_release(*, location_id, owner):
    Location.objects.filter(pk=location_id, sync_lock_owner=owner).update(
        sync_lock_owner="", sync_lock_expires_at=None
    )


def lock_lost(*, owner, expires_at, now):
    """Whether a location's sync lock has no live holder: released, expired, or its process dead.
    A run still "running" there is stale: its worker is gone."""
    return not owner or expires_at is None or expires_at <= now or _owner_is_dead(owner)


def sync_runs_fail_stale(*, location=None):
    """Fail the running runs whose worker is gone, of one location or of the whole agency, so that
    the next request from any path starts afresh. (An agency's tick finds them as it reads its
    locations: clients.scheduling.)"""
    now = timezone.now()
    runs = SyncRun.objects.filter(state=SyncState.RUNNING)
    if location is not None:
        runs = runs.filter(location_id=location.pk)
    locks = runs.values_list("pk", "location__sync_lock_owner", "location__sync_lock_expires_at")
    stale = [pk for pk, owner, expires_at in locks if lock_lost(owner=owner, expires_at=expires_at, now=now)]
    sync_runs_fail(ids=stale, now=now)
    return len(stale)


def sync_runs_fail(*, ids, now):
    """Fail the stale runs ``ids`` (those still running: one may have ended meanwhile)."""
    if ids:
        SyncRun.objects.filter(pk__in=ids, state=SyncState.RUNNING).update(
            state=SyncState.FAILED, finished_at=now, error=STALE_RUN_ERROR
        )


class LockKeeper:
    """Renews a held lock (at most every third of its lifetime) and sleeps for the run's PulseBack
    client: in the thread that owns the database connection, a long wait is cut into slices with a
    renewal between them; in the fetching thread it is a plain wait (the writing thread renews),
    cut short by ``interrupt`` when the run stops the pass."""

    def __init__(self, *, location_id, owner):
        self.location_id, self.owner = location_id, owner
        self.thread = threading.current_thread()
        self.every = max(1.0, settings.SYNC_LOCK_SECONDS / 3)
        self.renewed = time.monotonic()
        self.interrupt = threading.Event()

    def renew(self):
        sync_lock_renew(location_id=self.location_id, owner=self.owner)
        self.renewed = time.monotonic()

    def beat(self):
        """Renew the lock if a third of its lifetime went by since the last renewal."""
        if time.monotonic() - self.renewed >= self.every:
            self.renew()

    def sleep(self, seconds):
        end = time.monotonic() + seconds
        owner_thread = threading.current_thread() is self.thread
        while (left := end - time.monotonic()) > 0:
            if owner_thread:
                time.sleep(min(left, self.every))
                self.beat()
            elif self.interrupt.wait(min(left, self.every)):
                raise SyncStopped("the sync stopped this pass")

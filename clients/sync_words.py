"""A location's sync state in plain words, for its page, the overview and the report's "data as of".

Templates use the ``sync_note`` and ``auth_spend`` filters (``{% load sync_status %}``); JSON
answers call these functions. ``sync_note`` takes a Location, or a mapping of its fields
(``.values(...)``): ``sync_outcome``, ``sync_unseen``, ``sync_retry_at``, ``last_synced_at``,
``last_error``, ``state``.
"""

from collections.abc import Mapping
from datetime import UTC, timedelta
from functools import partial

from django.utils import timezone
from django.utils.timesince import timesince, timeuntil

from clients.models import ConnectionState, SyncState

SOON = timedelta(minutes=1)


def _retrying(retry_at, now, verb):
    if retry_at is None or retry_at - now < SOON:
        return verb
    return f"{verb} in {timeuntil(retry_at, now)}"


def sync_note(location, now=None):
    """What a reader should know about how current the location's data is ("" when it is current)."""
    now = now or timezone.now()
    field = location.get if isinstance(location, Mapping) else partial(getattr, location)
    outcome, retry_at, error = field("sync_outcome"), field("sync_retry_at"), field("last_error")
    if outcome == SyncState.PARTIAL:
        count = field("sync_unseen")
        items = "recent item" if count == 1 else "recent items"
        return f"{count} {items} not yet synced, {_retrying(retry_at, now, 'retrying')}"
    if outcome == SyncState.DEFERRED:
        return f"Waiting for PulseBack's rate limit, {_retrying(retry_at, now, 'resuming')}"
    if outcome == SyncState.FAILED or error:
        since = field("last_synced_at")
        when = f"Not synced since {timesince(since, now)} ago" if since else "Not synced yet"
        return f"{when}: the last sync failed ({error})" if error else when
    if field("state") == ConnectionState.PAUSED:
        return "Paused: not synced until it is resumed"
    return ""


def auth_spend(location, now=None):
    """The location's PulseBack sign-ins and token refreshes today (UTC), from the shared budget."""
    today = (now or timezone.now()).astimezone(UTC).date()
    if location.auth_day != today:
        return "No PulseBack sign-in or token refresh today"
    sign_ins, refreshes = location.auth_day_sign_ins, location.auth_day_refreshes
    return (
        f"PulseBack today: {sign_ins} sign-in{'s' * (sign_ins != 1)}, "
        f"{refreshes} token refresh{'es' * (refreshes != 1)}"
    )

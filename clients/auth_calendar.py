"""The sign-in calendar: PulseBack sign-ins and refreshes planned per minute, for all agencies.

The scheduler (clients.scheduling) books a place here for every sync that will need an auth
call, and queues the sync with a countdown to its place. Places are counted in the cache, in the
platform's (public) namespace, minute by minute:

- at most ``plan_per_minute()`` a minute: the budget (``PULSEBACK_AUTH_PER_MINUTE``) minus a tenth
  kept for sign-ups, new locations, manual syncs and retries;
- one agency at most half of that (the budget's own rule, clients.auth_budget);
- a sync may fill a minute only up to its priority (clients.scheduling), and books the first
  minute with room before its deadline; syncs far from their promise ("soft") only take what
  keeping every promise will not need: before each tick's fan-out, beat adds up the auth calls an
  hour the promises cost (the floor, from each agency's latest tick) and soft syncs leave that
  much of every minute.

The places of a minute are spread over its first 45 seconds, so a worker's pickup delay does not
push one into the next minute's window.
"""

import math

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

SPREAD_SECONDS = 45
TIMEOUT = 3600
FLOOR_KEY = "auth-floor"


def plan_per_minute():
    """Auth calls the scheduler may plan in a minute (the budget minus a tenth, at least one)."""
    limit = settings.PULSEBACK_AUTH_PER_MINUTE
    return max(0, limit - max(1, limit // 10))


def _minute_key(minute, schema=None):
    return f"auth-plan:{schema}:{minute}" if schema else f"auth-plan:{minute}"


def _take(key, cap):
    """Take one of ``cap`` places of the counter ``key``; return the place (1-based) or None."""
    cache.add(key, 0, timeout=TIMEOUT)
    try:
        taken = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=TIMEOUT)
        taken = 1
    if taken > cap:
        cache.decr(key)
        return None
    return taken


def auth_floor_set(*, per_hour):
    """Record the platform's floor: auth calls an hour that keeping every promise costs."""
    with schema_context(get_public_schema_name()):
        cache.set(FLOOR_KEY, per_hour, timeout=3 * settings.SYNC_TICK_MINUTES * 60)


def soft_places():
    """Places a minute that soft syncs may take: what the floor leaves (half the plan when no
    floor is recorded)."""
    cap = plan_per_minute()
    with schema_context(get_public_schema_name()):
        floor = cache.get(FLOOR_KEY)
    if floor is None:
        return cap // 2
    return max(0, cap - math.ceil(floor / 60))


def auth_slot_book(*, now, schema, places, within):
    """Book one auth call in the first minute of the next ``within`` (a timedelta) whose count is
    under ``places`` (the sync's priority: at most ``plan_per_minute()``), and under its half for
    the agency ``schema``; return the seconds from ``now`` to the place, or None."""
    cap = plan_per_minute()
    agency_cap = max(1, cap // 2)
    first = int(now.timestamp() // 60)
    last = max(first, int((now + within).timestamp() // 60) - 1)
    with schema_context(get_public_schema_name()):
        for minute in range(first, last + 1):
            place = _take(_minute_key(minute), min(places, cap))
            if place is None:
                continue
            if _take(_minute_key(minute, schema), agency_cap) is None:
                cache.decr(_minute_key(minute))
                continue
            return max(0.0, minute * 60 + (place - 1) * SPREAD_SECONDS / cap - now.timestamp())
    return None


def auth_booked(*, minutes, now=None):
    """Auth calls booked for the ``minutes`` up to ``now``, for the platform."""
    now = timezone.now() if now is None else now
    last = int(now.timestamp() // 60)
    keys = [_minute_key(minute) for minute in range(last - minutes + 1, last + 1)]
    with schema_context(get_public_schema_name()):
        return sum(cache.get_many(keys).values())

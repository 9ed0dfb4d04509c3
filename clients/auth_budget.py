"""A shared budget for PulseBack (Supabase) sign-ins and refreshes.

Supabase limits auth calls per client IP, and every location of every agency
is synced from the same few worker addresses. So auth calls are counted in a
per-minute window shared by all workers (in the cache), and one agency may use
at most half of a window, so its re-logins can never starve the others.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django_tenants.utils import get_public_schema_name, schema_context

from clients.pulseback import RateLimited

WINDOW_SECONDS = 60


def auth_budget_take(*, now=None):
    """Take one auth call from the budget, or raise RateLimited with the wait until the next window."""
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    agency = connection.schema_name
    limit = settings.PULSEBACK_AUTH_PER_MINUTE
    retry_after = (window + 1) * WINDOW_SECONDS - now
    with schema_context(get_public_schema_name()):  # one budget for all agencies
        if _count(f"pulseback-auth:{window}:{agency}") > max(1, limit // 2):
            raise RateLimited("this agency's share of PulseBack sign-ins is used up", retry_after=retry_after)
        if _count(f"pulseback-auth:{window}") > limit:
            raise RateLimited("the PulseBack sign-in budget is used up for now", retry_after=retry_after)


def _count(key):
    """Add one to a window's counter (atomic in the cache) and return the new count."""
    try:
        return cache.incr(key)
    except ValueError:  # no counter yet for this window
        if cache.add(key, 1, timeout=WINDOW_SECONDS * 2):
            return 1
        return cache.incr(key)

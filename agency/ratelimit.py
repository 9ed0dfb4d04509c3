"""The one fixed-window counter behind every rate limit of the platform (API requests per token,
PulseBack sign-ins per agency and in all, ...), kept in the cache every process shares.

Cache keys carry the schema (django-tenants' key function), so an agency's counters are its own;
``shared=True`` counts in the platform's (public) namespace instead, across all agencies.
"""

import time
from dataclasses import dataclass

from django.core.cache import cache
from django_tenants.utils import get_public_schema_name, schema_context


@dataclass(frozen=True)
class Window:
    count: int  # events in this window, the one just counted included
    reset: float  # seconds until the window ends

    def over(self, limit):
        return self.count > limit


def window_hit(*, key, seconds, shared=False, now=None):
    """Count one event against ``key`` in the current window of ``seconds``."""
    now = time.time() if now is None else now
    window = int(now // seconds)
    cache_key = f"rate:{key}:{seconds}:{window}"
    if shared:
        with schema_context(get_public_schema_name()):
            count = _count(cache_key, seconds)
    else:
        count = _count(cache_key, seconds)
    return Window(count=count, reset=(window + 1) * seconds - now)


def window_count(*, key, seconds, shared=False, now=None):
    """Events counted against ``key`` in the current window so far, counting none (for metrics)."""
    now = time.time() if now is None else now
    cache_key = f"rate:{key}:{seconds}:{int(now // seconds)}"
    if shared:
        with schema_context(get_public_schema_name()):
            return cache.get(cache_key, 0)
    return cache.get(cache_key, 0)


def _count(cache_key, seconds):
    """Add one to the counter (atomic in the cache) and return the new count."""
    if cache.add(cache_key, 1, timeout=seconds * 2):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=seconds * 2)
        return 1

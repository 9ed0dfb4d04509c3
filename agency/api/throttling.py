"""A fixed-window rate limit per API token (per client address without one).

Counters live in the cache (Redis), whose keys django-tenants prefixes with the
schema, so agencies never share one. Every response says how much is left
(``X-RateLimit-Remaining``, ``X-RateLimit-Reset`` in seconds), like PulseBack.
"""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle


def rate_limit_hit(*, key, now=None):
    """Count one request against ``key``; returns ``(allowed, remaining, reset_seconds)``."""
    now = time.time() if now is None else now
    window_seconds = settings.API_RATE_LIMIT_WINDOW_SECONDS
    limit = settings.API_RATE_LIMIT
    window = int(now // window_seconds)
    cache_key = f"api-rate:{key}:{window}"
    if cache.add(cache_key, 1, timeout=window_seconds * 2):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.add(cache_key, 1, timeout=window_seconds * 2)
            count = 1
    reset = max(1, int((window + 1) * window_seconds - now + 0.999))
    return count <= limit, max(0, limit - count), reset


def client_key(request):
    if request.auth is not None:
        return f"token:{request.auth.pk}"
    return f"addr:{request.META.get('REMOTE_ADDR', '')}"


class TokenRateThrottle(BaseThrottle):
    def allow_request(self, request, view):
        allowed, remaining, reset = rate_limit_hit(key=client_key(request))
        request.rate_limit = (remaining, reset)
        return allowed

    def wait(self):
        return None


def rate_limit_headers(request, response):
    """Set the rate-limit headers; a request stopped before throttling (401) counts per address."""
    state = getattr(request, "rate_limit", None)
    if state is None:
        _allowed, remaining, reset = rate_limit_hit(key=f"addr:{request.META.get('REMOTE_ADDR', '')}")
        state = (remaining, reset)
    remaining, reset = state
    response["X-RateLimit-Remaining"] = str(remaining)
    response["X-RateLimit-Reset"] = str(reset)
    if response.status_code == 429:
        response["Retry-After"] = str(reset)
    return response

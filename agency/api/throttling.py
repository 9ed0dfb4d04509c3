"""A fixed-window rate limit per API token (per client address without one).

Counters live in the cache (Redis), whose keys django-tenants prefixes with the
schema, so agencies never share one. Every response says how much is left
(``X-RateLimit-Remaining``, ``X-RateLimit-Reset`` in seconds), like PulseBack.
"""

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from agency.ratelimit import window_hit


def rate_limit_hit(*, key, now=None):
    """Count one request against ``key``; returns ``(allowed, remaining, reset_seconds)``."""
    limit = settings.API_RATE_LIMIT
    window = window_hit(key=f"api:{key}", seconds=settings.API_RATE_LIMIT_WINDOW_SECONDS, now=now)
    return not window.over(limit), max(0, limit - window.count), max(1, int(window.reset + 0.999))


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

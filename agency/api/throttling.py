"""Fixed-window rate limits of the API: per token (per client address without one), and per agency
when its plan sets API requests a minute (all of its tokens together).

Counters live in the cache (Redis), whose keys django-tenants prefixes with the
schema, so agencies never share one. Every response says how much is left
(``X-RateLimit-Remaining``, ``X-RateLimit-Reset`` in seconds), like PulseBack.
"""

from django.conf import settings
from django.db import connection
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from agency.operator.plans import api_rate_message, api_rate_of
from agency.ratelimit import window_hit

PLAN_WINDOW_SECONDS = 60


def rate_limit_hit(*, key, now=None):
    """Count one request against ``key``; returns ``(allowed, remaining, reset_seconds)``."""
    limit = settings.API_RATE_LIMIT
    window = window_hit(key=f"api:{key}", seconds=settings.API_RATE_LIMIT_WINDOW_SECONDS, now=now)
    return not window.over(limit), max(0, limit - window.count), _seconds(window.reset)


def plan_rate_hit(*, agency, now=None):
    """Count one request against the agency's plan; ``(allowed, remaining, reset, message)``, or None
    when its plan sets no API limit."""
    rate = api_rate_of(agency)
    if rate is None:
        return None
    plan, cap = rate
    window = window_hit(key="api-plan", seconds=PLAN_WINDOW_SECONDS, now=now)
    reset = _seconds(window.reset)
    message = api_rate_message(agency=agency, plan=plan, cap=cap, wait=reset)
    return not window.over(cap), max(0, cap - window.count), reset, message


def _seconds(reset):
    return max(1, int(reset + 0.999))


def client_key(request):
    if request.auth is not None:
        return f"token:{request.auth.pk}"
    return f"addr:{request.META.get('REMOTE_ADDR', '')}"


class TokenRateThrottle(BaseThrottle):
    def allow_request(self, request, view):
        allowed, remaining, reset = rate_limit_hit(key=client_key(request))
        request.rate_limit = (remaining, reset)
        agency = getattr(connection, "tenant", None)
        plan = plan_rate_hit(agency=agency) if allowed and request.auth is not None and agency else None
        if plan is not None:
            plan_allowed, plan_remaining, plan_reset, message = plan
            if plan_remaining < remaining:
                request.rate_limit = (plan_remaining, plan_reset)
            if not plan_allowed:
                raise Throttled(detail=message)  # Retry-After: rate_limit_headers
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

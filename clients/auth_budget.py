"""A shared budget for PulseBack (Supabase) sign-ins and refreshes.

Supabase limits auth calls per client IP, and every location of every agency
is synced from the same few worker addresses. So auth calls are counted in a
per-minute window shared by all workers (in the cache), and one agency may use
at most half of a window, so its re-logins can never starve the others.
"""

from django.conf import settings
from django.db import connection

from agency.ratelimit import window_hit
from clients.pulseback import RateLimited

WINDOW_SECONDS = 60


def auth_budget_take(*, now=None):
    """Take one auth call from the budget, or raise RateLimited with the wait until the next window."""
    limit = settings.PULSEBACK_AUTH_PER_MINUTE
    agency = window_hit(
        key=f"pulseback-auth:{connection.schema_name}", seconds=WINDOW_SECONDS, shared=True, now=now
    )
    if agency.over(max(1, limit // 2)):
        raise RateLimited("this agency's share of PulseBack sign-ins is used up", retry_after=agency.reset)
    platform = window_hit(key="pulseback-auth", seconds=WINDOW_SECONDS, shared=True, now=now)
    if platform.over(limit):
        raise RateLimited("the PulseBack sign-in budget is used up for now", retry_after=platform.reset)

"""A shared budget for PulseBack (Supabase) sign-ins and refreshes.

Supabase limits auth calls per client IP, and every location of every agency
is synced from the same few worker addresses. So auth calls are counted in a
per-minute window shared by all workers (in the cache): the platform spends at
most ``PULSEBACK_AUTH_PER_MINUTE``, one agency at most half of that, and one
location at most a quarter (at least one call). So one location whose tokens
churn cannot starve its agency's other locations, nor one agency the others.
"""

from django.conf import settings
from django.db import connection

from agency.ratelimit import window_hit
from clients.pulseback import RateLimited

WINDOW_SECONDS = 60


class AuthBudgetSpent(RateLimited):
    """Our own budget refused the call (nothing was sent to PulseBack); ``retry_after`` says when
    the window that refused it ends."""


def location_share(limit):
    """Auth calls one location may make in a window of the platform's ``limit``."""
    return max(1, limit // 4)


def auth_budget_take(*, location_id=None, now=None):
    """Take one auth call from the budget (of ``location_id``'s share too, when given), or raise
    AuthBudgetSpent with the wait until the window that refused it ends."""
    limit = settings.PULSEBACK_AUTH_PER_MINUTE
    schema = connection.schema_name
    if location_id is not None:
        own = window_hit(
            key=f"pulseback-auth:{schema}:{location_id}", seconds=WINDOW_SECONDS, shared=True, now=now
        )
        if own.over(location_share(limit)):
            raise AuthBudgetSpent(
                "this location's share of PulseBack sign-ins is used up for now", retry_after=own.reset
            )
    agency = window_hit(key=f"pulseback-auth:{schema}", seconds=WINDOW_SECONDS, shared=True, now=now)
    if agency.over(max(1, limit // 2)):
        raise AuthBudgetSpent(
            "this agency's share of PulseBack sign-ins is used up for now", retry_after=agency.reset
        )
    platform = window_hit(key="pulseback-auth", seconds=WINDOW_SECONDS, shared=True, now=now)
    if platform.over(limit):
        raise AuthBudgetSpent("the PulseBack sign-in budget is used up for now", retry_after=platform.reset)

"""Login lockout (django-axes), per agency schema like the users it protects.

Attempts are counted per account and per client address: an account is locked after
``LOGIN_FAILURES_PER_ACCOUNT`` failures, an address after ``LOGIN_FAILURES_PER_ADDRESS`` (an office
shares one), both for ``LOGIN_LOCKOUT_MINUTES``. Axes compares one count with one limit, so the
address's failures are scaled to the account's limit. A password reset unlocks the account.
"""

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_credentials
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render


def username_of(request, credentials=None):
    """The account an attempt was for, as stored (emails are kept lowercase)."""
    value = (credentials or {}).get("username")
    if value is None and request is not None:
        value = getattr(request, "POST", {}).get("username")
    return (value or "").strip().lower()[:254] or None


class LockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None):
        by_account, by_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        scaled = by_address * settings.LOGIN_FAILURES_PER_ACCOUNT // settings.LOGIN_FAILURES_PER_ADDRESS
        return max(by_account, scaled)


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' gate (first of AUTHENTICATION_BACKENDS), which also notes on the request whether
    the account or address was locked before this attempt (for the audit log, see team.signin)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is not None:
            credentials = get_credentials(username=username, password=password, **kwargs)
            request.team_locked_before = not AxesProxyHandler.is_allowed(request, credentials)
        return super().authenticate(request, username, password, **kwargs)


def locked_before_attempt(request, email):
    """Note whether ``email`` (or this address) is locked, before a failure counted by hand."""
    request.team_locked_before = not AxesProxyHandler.is_allowed(request, {"username": email})


def lockout_response(request, original_response=None, credentials=None):
    context = {"minutes": settings.LOGIN_LOCKOUT_MINUTES}
    return render(request, "team/locked_out.html", context, status=429)

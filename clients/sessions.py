"""PulseBack sessions kept per location, renewed under a row lock.

A location signs in only when it has no usable session and refreshes only when
its access token is about to expire (or PulseBack answered 401). "About to
expire" scales with the token's lifetime, which is kept on the location:
``min(60 s, 10% of the lifetime)`` before the end, so a 20-second token is used
for 18 seconds and refreshed once per lifetime. Renewal locks the location's
row, so two workers never spend the same refresh token, and the new tokens are
committed before they are used. Each sign-in and refresh is counted on the
location (per UTC day) and drawn from the shared budget (clients.auth_budget);
when the budget is spent, the caller's ``waiter`` may wait for it, else
RateLimited is raised with the time to try again.
"""

import time
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agency import netguard
from clients.auth_budget import AuthBudgetSpent, auth_budget_take
from clients.models import Location
from clients.pulseback import Endpoints, PulseBackClient, RefreshTokenRevoked, expiry_margin
from clients.pulseback.client import POOL_LIMITS

BUDGET_WAITS = 2  # windows of the sign-in budget one renewal waits for, at most


def location_endpoints(location, *, checked=True):
    """The location's PulseBack addresses (its own, else the deployment's). ``checked``: their form
    and any literal address are checked (ValueError otherwise); host names are checked when the
    client connects (netguard)."""
    endpoints = Endpoints(
        api_url=location.api_url or settings.PULSEBACK_API_URL,
        auth_url=location.auth_url or settings.PULSEBACK_AUTH_URL,
        anon_key=location.anon_key or settings.PULSEBACK_ANON_KEY,
    )
    if not checked:
        return endpoints
    if not endpoints.anon_key.strip():
        raise ValueError("PulseBack anon key is empty")
    allow_http = settings.PULSEBACK_SANDBOX_ENABLED
    return Endpoints(
        api_url=netguard.check_url(endpoints.api_url, allow_loopback_http=allow_http),
        auth_url=netguard.check_url(endpoints.auth_url, allow_loopback_http=allow_http),
        anon_key=endpoints.anon_key.strip(),
    )


def pulseback_client_for(location, **options):
    """A PulseBack client for the location, whose every connection goes through the network guard."""
    options.setdefault("backoff_base", settings.PULSEBACK_BACKOFF_SECONDS)
    guard = netguard.transport(allow_loopback=settings.PULSEBACK_SANDBOX_ENABLED, limits=POOL_LIMITS)
    return PulseBackClient(location_endpoints(location), transport=guard, **options)


def token_usable(token, expires_at, lifetime=None):
    """Whether ``token`` may still be sent: more than min(60 s, 10% of its lifetime) is left."""
    if not token or expires_at is None:
        return False
    return (expires_at - timezone.now()).total_seconds() > expiry_margin(lifetime)


def session_keep(*, location, session):
    """Store a new session on ``location`` (a model instance, saved by the caller's update)."""
    location.access_token = session.access_token
    location.refresh_token = session.refresh_token
    location.token_expires_at = datetime.fromtimestamp(session.expires_at, tz=UTC)
    location.token_lifetime = session.lifetime
    return ["access_token", "refresh_token", "token_expires_at", "token_lifetime"]


def _count_auth_call(location, *, sign_in):
    """Count one sign-in or refresh on the location's day; returns the fields to save."""
    today = timezone.now().astimezone(UTC).date()
    if location.auth_day != today:
        location.auth_day, location.auth_day_sign_ins, location.auth_day_refreshes = today, 0, 0
    if sign_in:
        location.auth_day_sign_ins += 1
    else:
        location.auth_day_refreshes += 1
    return ["auth_day", "auth_day_sign_ins", "auth_day_refreshes"]


class LocationTokens:
    """The access-token provider the PulseBack client asks for tokens (see AccessTokenProvider).

    ``waiter``: when the sign-in budget is spent, ``waiter(seconds)`` is called (at most
    ``BUDGET_WAITS`` times a renewal); it sleeps and returns True (then the renewal is tried again),
    or returns False. Then AuthBudgetSpent (a RateLimited) is raised with ``deferred`` and
    ``retry_at`` set; without a waiter, at once.
    """

    def __init__(self, location, client, *, waiter=None):
        self.location_id = location.pk
        self.client = client
        self.waiter = waiter
        self._token = location.access_token.reveal() if location.access_token else None
        self._expires_at = location.token_expires_at
        self._lifetime = location.token_lifetime
        self.sign_ins = 0
        self.refreshes = 0

    @property
    def expires_at(self):
        return self._expires_at

    @property
    def lifetime(self):
        return self._lifetime

    def get(self):
        if token_usable(self._token, self._expires_at, self._lifetime):
            return self._token
        return self._renew(stale=self._token)

    def renew(self, stale_token):
        return self._renew(stale=stale_token)

    def _renew(self, *, stale):
        for attempt in range(BUDGET_WAITS + 1):
            try:
                return self._renew_once(stale=stale)
            except AuthBudgetSpent as exc:
                if attempt == BUDGET_WAITS or self.waiter is None or not self.waiter(exc.retry_after):
                    raise AuthBudgetSpent(
                        str(exc), retry_after=exc.retry_after, retry_at=time.time() + exc.retry_after,
                        deferred=True,
                    ) from None  # fmt: skip

    def _renew_once(self, *, stale):
        with transaction.atomic():
            location = Location.objects.select_for_update().get(pk=self.location_id)
            stored = location.access_token.reveal() if location.access_token else None
            renewed_meanwhile = stored != stale and token_usable(
                stored, location.token_expires_at, location.token_lifetime
            )
            if renewed_meanwhile:
                session = None  # another worker renewed it meanwhile
            elif location.refresh_token:
                auth_budget_take(location_id=location.pk)
                try:
                    session = self.client.refresh(location.refresh_token.reveal())
                    self.refreshes += 1
                    counted = _count_auth_call(location, sign_in=False)
                except RefreshTokenRevoked:
                    session, counted = self._sign_in(location)
            else:
                session, counted = self._sign_in(location)
            if session is None:
                token = stored
            else:
                token = session.access_token
                fields = session_keep(location=location, session=session)
                location.save(update_fields=fields + counted)
        # Committed: the new refresh token is stored before the access token is used.
        self._token, self._expires_at = token, location.token_expires_at
        self._lifetime = location.token_lifetime
        return token

    def _sign_in(self, location):
        """One sign-in (also when a spent refresh token was refused): its session and counted fields."""
        auth_budget_take(location_id=location.pk)
        password = location.pulseback_password.reveal() if location.pulseback_password else ""
        session = self.client.sign_in(location.pulseback_email, password)
        self.sign_ins += 1
        return session, _count_auth_call(location, sign_in=True)

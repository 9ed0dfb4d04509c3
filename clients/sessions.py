"""PulseBack sessions kept per location, renewed under a row lock.

A location signs in only when it has no usable session and refreshes only when
its access token is about to expire (or PulseBack answered 401). Renewal locks
the location's row, so two workers never spend the same refresh token, and the
new tokens are committed before they are used.
"""

from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agency import netguard
from clients.auth_budget import auth_budget_take
from clients.models import Location
from clients.pulseback import Endpoints, PulseBackClient, RefreshTokenRevoked
from clients.pulseback.client import POOL_LIMITS

EXPIRY_MARGIN_SECONDS = 60


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


def token_usable(token, expires_at):
    return (
        bool(token)
        and expires_at is not None
        and (expires_at - timezone.now()).total_seconds() > (EXPIRY_MARGIN_SECONDS)
    )


class LocationTokens:
    """The access-token provider the PulseBack client asks for tokens (see AccessTokenProvider)."""

    def __init__(self, location, client):
        self.location_id = location.pk
        self.client = client
        self._token = location.access_token.reveal() if location.access_token else None
        self._expires_at = location.token_expires_at
        self.sign_ins = 0
        self.refreshes = 0

    @property
    def expires_at(self):
        return self._expires_at

    def get(self):
        if token_usable(self._token, self._expires_at):
            return self._token
        return self._renew(stale=self._token)

    def renew(self, stale_token):
        return self._renew(stale=stale_token)

    def _renew(self, *, stale):
        with transaction.atomic():
            location = Location.objects.select_for_update().get(pk=self.location_id)
            stored = location.access_token.reveal() if location.access_token else None
            if stored and stored != stale and token_usable(stored, location.token_expires_at):
                session = None  # another worker renewed it meanwhile
            elif location.refresh_token:
                auth_budget_take()
                try:
                    session = self.client.refresh(location.refresh_token.reveal())
                    self.refreshes += 1
                except RefreshTokenRevoked:
                    session = self._sign_in(location)
            else:
                session = self._sign_in(location)
            if session is None:
                token = stored
            else:
                token = session.access_token
                location.access_token = session.access_token
                location.refresh_token = session.refresh_token
                location.token_expires_at = datetime.fromtimestamp(session.expires_at, tz=UTC)
                location.save(update_fields=["access_token", "refresh_token", "token_expires_at"])
        # Committed: the new refresh token is stored before the access token is used.
        self._token, self._expires_at = token, location.token_expires_at
        return token

    def _sign_in(self, location):
        auth_budget_take()
        password = location.pulseback_password.reveal() if location.pulseback_password else ""
        session = self.client.sign_in(location.pulseback_email, password)
        self.sign_ins += 1
        return session

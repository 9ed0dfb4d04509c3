"""Every PulseBack call the API and the point-of-sale trigger make (tests patch this one module).

Sessions go through clients.sessions (LocationTokens), so a stored session is
reused and renewed under the location's row lock, and the shared sign-in budget
is respected.
"""

import logging
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from clients.auth_budget import auth_budget_take
from clients.models import Location
from clients.pulseback import (
    InvalidApiKey,
    InvalidCredentials,
    PulseBackError,
    RateLimited,
    SessionTokenProvider,
)
from clients.sessions import LocationTokens, pulseback_client_for

logger = logging.getLogger(__name__)


class PulseBackUnreachable(Exception):
    """PulseBack could not be asked (down, rate limited): nothing was decided; try again later."""

    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after


def login_check(*, location):
    """Sign in with an unsaved location's login and count its feedback: ``(session, total)``.

    Raises ValidationError naming the field at fault, or PulseBackUnreachable.
    """
    try:
        validate_email(location.pulseback_email)
    except ValidationError:
        raise ValidationError({"pulseback_email": "Enter the PulseBack login email."}) from None
    password = location.pulseback_password
    password = password.reveal() if hasattr(password, "reveal") else password
    if not password:
        raise ValidationError({"pulseback_password": "Enter the PulseBack password."})
    try:
        client = pulseback_client_for(location, max_retries=2, max_total_wait=10)
    except ValueError as exc:
        field = "anon_key" if "anon key" in str(exc) else "api_url"
        raise ValidationError({field: str(exc)}) from None
    with client:
        try:
            auth_budget_take()
            session = client.sign_in(location.pulseback_email, password)
            page = client.list_feedback(SessionTokenProvider(client, session), limit=1)
        except InvalidApiKey:
            raise ValidationError({"anon_key": "PulseBack refused the API key."}) from None
        except InvalidCredentials:
            raise ValidationError(
                {"pulseback_password": "PulseBack refused this email and password."}
            ) from None
        except RateLimited as exc:
            raise PulseBackUnreachable(
                "PulseBack is rate limiting sign-ins; try again shortly.", exc.retry_after
            ) from None
        except PulseBackError as exc:
            logger.warning("PulseBack login check failed: %s", exc)
            raise PulseBackUnreachable("PulseBack could not be reached; try again shortly.") from None
    return session, page.total


def session_store(*, location, session):
    """Keep the session of a successful login check on the (saved) location."""
    Location.objects.filter(pk=location.pk).update(
        access_token=session.access_token,
        refresh_token=session.refresh_token,
        token_expires_at=datetime.fromtimestamp(session.expires_at, tz=UTC),
    )


def feedback_create(
    *, location, rating, customer_name=None, customer_email=None, customer_phone=None, comment=None
):
    """Create one feedback item in the location's PulseBack (``POST /api/feedback``); the created item.

    Raises the PulseBack client's typed errors (``maybe_processed`` tells whether
    a failed request may have been acted on).
    """
    client = pulseback_client_for(location, max_retries=2, max_total_wait=20)
    with client:
        tokens = LocationTokens(location, client)
        return client.create_feedback(
            tokens,
            rating=rating,
            customer_name=customer_name or None,
            customer_email=customer_email or None,
            customer_phone=customer_phone or None,
            comment=comment or None,
            source="pos_integration",
        )

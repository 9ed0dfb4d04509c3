"""Every call to a business's PulseBack outside the sync: the connection test, and creating feedback
for a point-of-sale order (tests patch this one module).

Sessions go through clients.sessions (LocationTokens), so a stored session is reused and renewed
under the location's row lock, and the shared sign-in budget is respected.
"""

import logging

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from agency.errors import UpstreamUnavailable
from clients.auth_budget import auth_budget_take
from clients.models import Location
from clients.pulseback import (
    InvalidApiKey,
    InvalidCredentials,
    PulseBackError,
    RateLimited,
    SessionTokenProvider,
)
from clients.sessions import LocationTokens, pulseback_client_for, session_keep

logger = logging.getLogger(__name__)


class PulseBackUnreachable(UpstreamUnavailable):
    """PulseBack could not be asked (down, rate limited): nothing was decided; try again later."""


def pulseback_connection_test(*, email, password, api_url="", auth_url="", anon_key=""):
    """Sign in with a login that is not saved yet and count its feedback: ``(session, total)``.

    Nothing is stored. Raises ValidationError naming the field at fault, or PulseBackUnreachable.
    """
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"pulseback_email": "Enter the PulseBack login email."}) from None
    if not password:
        raise ValidationError({"pulseback_password": "Enter the PulseBack password."})
    location = Location(pulseback_email=email, api_url=api_url, auth_url=auth_url, anon_key=anon_key)
    try:
        client = pulseback_client_for(location, max_retries=2, max_total_wait=10, wait_budget=10)
    except ValueError as exc:
        field = "anon_key" if "anon key" in str(exc) else "api_url"
        raise ValidationError({field: str(exc)}) from None
    with client:
        try:
            auth_budget_take()
            session = client.sign_in(email, password)
            page = client.list_feedback(SessionTokenProvider(client, session), limit=1)
        except InvalidApiKey:
            raise ValidationError({"anon_key": "PulseBack refused the API key."}) from None
        except InvalidCredentials:
            raise ValidationError(
                {"pulseback_password": "PulseBack refused this email and password."}
            ) from None
        except RateLimited as exc:
            raise PulseBackUnreachable(
                "PulseBack is busy with sign-ins right now; try again in a minute.", exc.retry_after
            ) from None
        except PulseBackError as exc:
            logger.warning("PulseBack connection test failed: %s", exc)
            raise PulseBackUnreachable("PulseBack could not be reached; try again shortly.") from None
    return session, page.total


def session_store(*, location, session):
    """Keep the session of a successful connection test on the (saved) location."""
    fields = session_keep(location=location, session=session)
    Location.objects.filter(pk=location.pk).update(**{name: getattr(location, name) for name in fields})


def pulseback_feedback_create(
    *, location, rating, customer_name=None, customer_email=None, customer_phone=None, comment=None
):
    """Create one feedback item in the location's PulseBack (``POST /api/feedback``); the created item.

    Raises the PulseBack client's typed errors (``maybe_processed`` tells whether
    a failed request may have been acted on).
    """
    client = pulseback_client_for(location, max_retries=2, max_total_wait=20, wait_budget=20)
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

"""Writes for the API: personal API tokens and client changes made through the API."""

import logging
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from agency.api import pulseback
from agency.api.models import ApiToken, Scope
from agency.team.models import Role
from clients import onboarding
from clients.models import Location
from clients.services import client_create

logger = logging.getLogger(__name__)

TOUCH_EVERY = timedelta(seconds=60)


def api_token_create(*, user, name, scope=Scope.READ):
    """Create a token; returns ``(token, raw)``. ``raw`` is shown once and never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Name the token (e.g. the tool that will use it)."})
    if scope not in Scope.values:
        raise ValidationError({"scope": "Choose read or write."})
    if scope == Scope.WRITE and user.role == Role.CLIENT_VIEWER:
        raise ValidationError({"scope": "Client viewers can only have read-only tokens."})
    raw, hashed = ApiToken.new_token()
    token = ApiToken.objects.create(
        user=user, name=name[:100], scope=scope, prefix=raw[:12], token_hash=hashed
    )
    logger.info("API token %s created for user %s", token.pk, user.pk)
    return token, raw


def api_token_revoke(*, token):
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        logger.info("API token %s revoked", token.pk)


def api_token_touch(*, token, now=None):
    """Record the last use, at most once a minute per token (one UPDATE, no read)."""
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def client_create_checked(
    *, pulseback_email, pulseback_password, api_url="", auth_url="", anon_key="", **details
):
    """A client whose PulseBack login is tested first (sign in, count items), then saved.

    The session of the test sign-in is kept on the location, so its first sync
    does not sign in again. Raises ValidationError naming the field at fault.
    ``details``: the other arguments of clients.services.client_create.
    """
    login = {"pulseback_email": pulseback_email, "pulseback_password": pulseback_password,
             "api_url": api_url, "auth_url": auth_url, "anon_key": anon_key}  # fmt: skip
    probe = Location(name=details.get("location_name") or details.get("name"), **login)
    probe.pulseback_email = (pulseback_email or "").strip().lower()
    session, total = pulseback.login_check(location=probe)
    with transaction.atomic():
        client, location = client_create(**login, **details)
        pulseback.session_store(location=location, session=session)
    return client, location, total


CLIENT_EDITABLE = ("name", "timezone", "report_recipients", "notes")


def client_update(*, client, **changes):
    """Change some of a client's details (a new time zone rebuilds its roll-ups)."""
    for field in changes:
        if field not in CLIENT_EDITABLE:
            raise ValidationError({field: "This field cannot be changed."})
    current = {name: getattr(client, name) for name in CLIENT_EDITABLE}
    merged = {**current, **changes}
    return onboarding.client_update(
        client=client, name=merged["name"], timezone_name=merged["timezone"],
        report_recipients=merged["report_recipients"], notes=merged["notes"],
    )  # fmt: skip


def client_delete(*, client):
    """The client and all its feedback, deleted in SQL (never loaded into memory)."""
    onboarding.client_remove(client=client)

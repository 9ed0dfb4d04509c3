"""A client's business owners: read-only viewers of their client, and "connect your PulseBack login"
links that let them type their own login on the agency's domain."""

import math
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.dispatch import receiver
from django.utils import timezone

from agency import events
from agency.emails import email_send
from agency.ratelimit import window_hit
from agency.team.audit import audit_record
from agency.team.models import ConnectInvitation, Invitation, Role
from agency.urlbuilders import agency_url
from clients.models import Client, ViewerAccess
from clients.services import location_add

HOUR = 3600
SLOT_SECONDS = 60
_SLOT_KEY = "connect:attempt-slot"


@receiver(events.member_joined)
def viewer_access_grant(*, user, invitation, **_):
    """A client viewer who joins sees the client they were invited to, or cannot join at all."""
    if invitation.role != Role.CLIENT_VIEWER:
        return
    client = Client.objects.filter(pk=invitation.client_id).first()
    if client is None:
        raise ValidationError("The client of this invitation was removed.")
    ViewerAccess.objects.create(user=user, client=client)


def connect_invitation_create(
    *, client, email, location_name, invited_by, api_url="", auth_url="", anon_key=""
):
    """Ask a business owner for their own PulseBack login, by email; the link works once."""
    token, token_hash = Invitation.new_token()
    invitation = ConnectInvitation.objects.create(
        email=email.strip().lower(), client_id=client.pk, location_name=location_name.strip() or client.name,
        api_url=api_url, auth_url=auth_url, anon_key=anon_key, token_hash=token_hash, invited_by=invited_by,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS),
    )  # fmt: skip
    agency = connection.tenant
    link = agency_url(agency, "connect_pulseback", token)
    transaction.on_commit(lambda: email_send(
        template="connect-invitation", to=[invitation.email], agency=agency,
        context={"invitation": invitation, "client": client, "link": link},
    ))  # fmt: skip
    audit_record(actor=invited_by, action="location.login_requested", target=client, email=invitation.email)
    return invitation


class ConnectRefused(Exception):
    """Not tried now (too many attempts); ``str()`` says when to come back."""


def _minutes(seconds):
    minutes = max(1, math.ceil(seconds / 60))
    return "a minute" if minutes == 1 else f"{minutes} minutes"


def _slot_take(now):
    """The agency's one connect-link attempt of this minute (the cache's keys carry the schema)."""
    if cache.add(_SLOT_KEY, now, timeout=SLOT_SECONDS):
        return True
    held = cache.get(_SLOT_KEY)
    if held is None or now - held >= SLOT_SECONDS:
        cache.set(_SLOT_KEY, now, timeout=SLOT_SECONDS)
        return True
    return False


def connect_invitation_accept(*, token, pulseback_email, pulseback_password, address):
    """The owner's login is checked with PulseBack, then stored (encrypted) with a new location.

    Attempts from ``address`` are limited per hour, and the agency's links make at most one attempt
    a minute that may fail: a burst of wrong passwords takes at most one sign-in a minute from the
    agency's share of the PulseBack budget (its own "Test connection" and syncs keep the rest). A
    wrong password counts against the link: after ``CONNECT_LINK_MAX_FAILURES`` it is spent, and
    the owner is told to ask the agency for a new one.
    """
    mine = window_hit(key=f"connect:addr:{address}", seconds=HOUR)
    if mine.over(settings.CONNECT_ATTEMPTS_PER_ADDRESS_PER_HOUR):
        raise ConnectRefused(f"Too many attempts from your network. Try again in {_minutes(mine.reset)}.")
    if not _slot_take(time.time()):
        raise ConnectRefused("A wrong password was just tried. Please wait a minute, then try again.")
    wrong_password = False
    try:
        return _connect(token=token, pulseback_email=pulseback_email, pulseback_password=pulseback_password)
    except ValidationError as exc:
        wrong_password = hasattr(exc, "error_dict") and "pulseback_password" in exc.error_dict
        if wrong_password:
            _connect_failed(token=token)
        raise
    finally:
        if not wrong_password:  # only a refused password keeps the minute's attempt
            cache.delete(_SLOT_KEY)


@transaction.atomic
def _connect(*, token, pulseback_email, pulseback_password):
    try:
        invitation = ConnectInvitation.objects.select_for_update().get_usable(token)
    except ConnectInvitation.DoesNotExist:
        raise ValidationError("This link has expired or was already used.") from None
    client = Client.objects.filter(pk=invitation.client_id).first()
    if client is None:
        raise ValidationError("This link is no longer valid.")
    endpoints = {
        "api_url": invitation.api_url,
        "auth_url": invitation.auth_url,
        "anon_key": invitation.anon_key,
    }
    location = location_add(actor=None, owner_email=invitation.email, client=client,
                            name=invitation.location_name, pulseback_email=pulseback_email,
                            pulseback_password=pulseback_password, test_connection=True,
                            **endpoints)  # fmt: skip
    invitation.used_at = timezone.now()
    invitation.save(update_fields=["used_at"])
    return location


@transaction.atomic
def _connect_failed(*, token):
    invitation = ConnectInvitation.objects.select_for_update().for_token(token).first()
    if invitation is None:
        return
    invitation.failed_attempts += 1
    invitation.save(update_fields=["failed_attempts"])
    if invitation.is_spent:
        client = Client.objects.filter(pk=invitation.client_id).first()
        target = client or invitation.location_name
        audit_record(actor=None, action="location.connect_link_spent", target=target, email=invitation.email,
                     attempts=invitation.failed_attempts)  # fmt: skip

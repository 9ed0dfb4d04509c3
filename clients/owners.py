"""A client's business owners: read-only viewers of their client, and "connect your PulseBack login"
links that let them type their own login on the agency's domain."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.dispatch import receiver
from django.utils import timezone

from agency import events
from agency.emails import email_send
from agency.team.audit import audit_record
from agency.team.models import ConnectInvitation, Invitation, Role
from agency.urlbuilders import agency_url
from clients.models import Client, ViewerAccess
from clients.services import location_add


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


@transaction.atomic
def connect_invitation_accept(*, token, pulseback_email, pulseback_password):
    """The owner's login is checked with PulseBack, then stored (encrypted) with a new location."""
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

"""Writes for a team: invitations, roles, removal. Called inside the agency's schema."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from agency import events
from agency.emails import email_send
from agency.operator.plans import plan_limit_check
from agency.team.audit import audit_record
from agency.team.models import Invitation, Role, User
from agency.urlbuilders import agency_url


def team_size(*, but=None):
    """Members and pending invitations (but ``but``'s, about to be replaced), client viewers left out:
    what a plan's member limit counts."""
    members = User.objects.filter(is_active=True).exclude(role=Role.CLIENT_VIEWER).count()
    pending = Invitation.objects.pending().exclude(role=Role.CLIENT_VIEWER).exclude(email=but)
    return members + pending.count()


def invitation_create(*, email, role, invited_by, client=None):
    """Invite a teammate, or (role client viewer, with ``client``) a business owner to see their client."""
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": "This person already has an account here."})
    if role == Role.OWNER and invited_by.role != Role.OWNER:
        raise ValidationError({"role": "Only an owner can invite another owner."})
    if (role == Role.CLIENT_VIEWER) != (client is not None):
        raise ValidationError(
            {"role": "A client viewer is invited to one client, and only a client viewer is."}
        )
    if role != Role.CLIENT_VIEWER:
        plan_limit_check(limit="members", count=lambda: team_size(but=email))
    Invitation.objects.pending().filter(email=email).update(revoked_at=timezone.now())
    token, token_hash = Invitation.new_token()
    invitation = Invitation.objects.create(
        email=email,
        role=role,
        token_hash=token_hash,
        invited_by=invited_by,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS),
        client_id=client.pk if client else None,
    )
    audit_record(actor=invited_by, action="team.invited", target=email, role=role)
    agency = connection.tenant
    link = agency_url(agency, "invitation_accept", token)
    transaction.on_commit(
        lambda: email_send(
            template="invitation",
            to=[email],
            agency=agency,
            context={"invitation": invitation, "link": link, "inviter": invited_by},
        )
    )
    return invitation


@transaction.atomic
def invitation_accept(*, token, full_name, password):
    """Create the member from a valid invitation; the link then stops working."""
    try:
        invitation = Invitation.objects.select_for_update().get_by_token(token)
    except Invitation.DoesNotExist:
        raise ValidationError("This invitation link is not valid.") from None
    if not invitation.is_usable:
        raise ValidationError("This invitation link has expired or was already used.")
    if User.objects.filter(email=invitation.email).exists():
        raise ValidationError("An account with this email already exists. Please log in.")
    user = User.objects.create_user(invitation.email, password, full_name=full_name, role=invitation.role)
    events.member_joined.send(sender=Invitation, user=user, invitation=invitation)
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit_record(actor=user, action="team.joined", target=invitation.get_role_display())
    return user


def _owners_left_without(member):
    return User.objects.filter(role=Role.OWNER, is_active=True).exclude(pk=member.pk).count()


@transaction.atomic
def member_change_role(*, member, role, changed_by):
    if Role.OWNER in (role, member.role) and changed_by.role != Role.OWNER:
        raise ValidationError("Only an owner can grant or take away the owner role.")
    if member.role == Role.OWNER and role != Role.OWNER and not _owners_left_without(member):
        raise ValidationError("A team needs at least one owner.")
    audit_record(actor=changed_by, action="team.role_changed", target=member.email, old=member.role, new=role)
    member.role = role
    member.save(update_fields=["role"])


@transaction.atomic
def member_remove(*, member, removed_by):
    if member.pk == removed_by.pk:
        raise ValidationError("You cannot remove yourself.")
    if member.role == Role.OWNER and removed_by.role != Role.OWNER:
        raise ValidationError("Only an owner can remove an owner.")
    if member.role == Role.OWNER and not _owners_left_without(member):
        raise ValidationError("A team needs at least one owner.")
    audit_record(actor=removed_by, action="team.removed", target=member.email)
    member.delete()

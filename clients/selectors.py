"""Reads for client businesses, scoped to what a user may see."""

from agency.team.models import Role
from clients.models import Client


def clients_visible_to(*, user):
    """All of the agency's clients, or, for a client viewer, only their own."""
    if user.role == Role.CLIENT_VIEWER:
        return Client.objects.filter(viewers__user=user)
    return Client.objects.all()

"""Who may open portal pages: every member of the agency; what they see is scoped by clients_visible_to."""

from django.http import Http404

from agency.team.access import role_required
from agency.team.models import Role
from clients.models import Client, Location
from clients.selectors import clients_visible_to

member_required = role_required(*Role.values)


def visible_client_or_404(*, user, pk):
    try:
        return clients_visible_to(user=user).get(pk=pk)
    except Client.DoesNotExist:
        raise Http404("No such client.") from None


def client_location_or_404(*, client, pk):
    try:
        return Location.objects.get(client=client, pk=pk)
    except Location.DoesNotExist:
        raise Http404("No such location.") from None

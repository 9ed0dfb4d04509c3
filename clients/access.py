"""A member sees a client (and its locations) only when clients_visible_to lets them: 404 otherwise."""

from django.http import Http404

from clients.models import Client, Location
from clients.selectors import clients_visible_to


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

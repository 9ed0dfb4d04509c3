"""The point-of-sale trigger of a location, in the portal: its URL, its secret (shown once), its orders."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.shortcuts import render
from django.urls import reverse

from agency.team.access import manager_required
from agency.urlbuilders import agency_base_url
from clients.access import client_location_or_404, visible_client_or_404
from clients.integrations import services
from clients.integrations.models import PosOrder, PosTrigger


class PosTriggerForm(forms.Form):
    starting_rating = forms.TypedChoiceField(
        coerce=int,
        choices=[(n, f"{n}★") for n in range(5, 0, -1)],
        help_text="The rating PulseBack starts with; the customer adjusts it.",
    )
    is_enabled = forms.BooleanField(required=False, label="Accept orders")


@manager_required
def pos_trigger_page(request, pk, location_pk):
    client = visible_client_or_404(user=request.user, pk=pk)
    location = client_location_or_404(client=client, pk=location_pk)
    trigger = PosTrigger.objects.filter(location=location).first()
    initial = {"starting_rating": trigger.starting_rating, "is_enabled": trigger.is_enabled} if trigger else {
        "starting_rating": 5, "is_enabled": True}  # fmt: skip
    form = PosTriggerForm(request.POST or None, initial=initial)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            trigger, secret = services.pos_trigger_setup(
                actor=request.user,
                location=location,
                rotate_secret=request.POST.get("action") == "rotate",
                **form.cleaned_data,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, "Saved." if secret is None else "Copy the secret now: it is shown only once."
            )
    context = {
        "client": client,
        "location": location,
        "trigger": trigger,
        "secret": secret,
        "form": form,
        "url": agency_base_url(connection.tenant) + reverse("pos_trigger", args=[trigger.key])
        if trigger
        else None,
        "orders": PosOrder.objects.filter(location=location).order_by("-created_at")[:20],
    }
    return render(request, "webhooks/pos_trigger.html", context)

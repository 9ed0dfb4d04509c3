"""A client's further locations, and replacing a location's PulseBack login (managers)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters

from agency.formerrors import form_errors_add
from agency.team.access import manager_required, recent_auth_required
from clients import services
from clients.access import client_location_or_404, visible_client_or_404


class LocationLoginForm(forms.Form):
    pulseback_email = forms.EmailField(label="PulseBack login email")
    pulseback_password = forms.CharField(label="PulseBack password", strip=False, widget=forms.PasswordInput)


class NewLocationForm(LocationLoginForm):
    name = forms.CharField(max_length=150, label="Location name")
    api_url = forms.URLField(required=False, assume_scheme="https", label="PulseBack API URL",
                             help_text="Blank: the default.")  # fmt: skip
    auth_url = forms.URLField(required=False, assume_scheme="https", label="PulseBack sign-in URL",
                              help_text="Blank: the default.")  # fmt: skip
    anon_key = forms.CharField(required=False, max_length=500, label="PulseBack public key")

    field_order = ["name", "pulseback_email", "pulseback_password", "api_url", "auth_url", "anon_key"]


@manager_required
@sensitive_post_parameters("pulseback_password")
def location_new(request, pk):
    client = visible_client_or_404(user=request.user, pk=pk)
    form = NewLocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            location = services.location_add(actor=request.user, client=client, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, f"{location.name} was added; its feedback is being synced.")
            return redirect("client_dashboard", pk=client.pk)
    return render(request, "portal/client_form.html",
                  {"form": form, "client": client, "title": f"Add a location to {client.name}"})  # fmt: skip


@manager_required
@recent_auth_required
@sensitive_post_parameters("pulseback_password")
def location_login(request, pk, location_pk):
    """A new PulseBack login for a location (after "invalid credentials", say); the old one is gone."""
    client = visible_client_or_404(user=request.user, pk=pk)
    location = client_location_or_404(client=client, pk=location_pk)
    form = LocationLoginForm(request.POST or None, initial={"pulseback_email": location.pulseback_email})
    if request.method == "POST" and form.is_valid():
        try:
            services.location_set_credentials(actor=request.user, location=location, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(
                request, f"The PulseBack login of {location.name} was replaced; a sync is queued."
            )
            return redirect("client_dashboard", pk=client.pk)
    title = f"Replace the PulseBack login of {location.name}"
    return render(request, "portal/client_form.html", {"form": form, "client": client, "title": title})

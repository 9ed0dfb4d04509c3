"""Outbound webhooks in the portal (owners and admins): the endpoints, adding one (its signing
secret shown once), a test delivery, the delivery log with response codes, and re-enabling an
endpoint that was disabled after failing."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from agency.team.access import manager_required
from agency.webhooks import selectors, services
from agency.webhooks.models import Event
from clients.integrations.pings import endpoint_ping
from clients.selectors import clients_visible_to

LOG_LENGTH = 50


class EndpointForm(forms.Form):
    url = forms.CharField(max_length=2000, label="URL", widget=forms.URLInput,
                          help_text="Where to POST the events: https, on the public internet.")  # fmt: skip
    description = forms.CharField(max_length=200, required=False, help_text="For you, e.g. “Zapier: CRM”.")
    events = forms.MultipleChoiceField(choices=Event.choices, widget=forms.CheckboxSelectMultiple)


class EndpointCreateForm(EndpointForm):
    client = forms.ModelChoiceField(queryset=None, required=False, empty_label="Every client",
                                    help_text="Send only the events of this client.")  # fmt: skip

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients_visible_to(user=user).order_by("name")


class EndpointEditForm(EndpointForm):
    is_active = forms.BooleanField(required=False, label="Active (sends events)")


def _save(form, action):
    """Run ``action`` (a service call); its ValidationError is shown next to the fields."""
    try:
        return action()
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return None


@manager_required
def webhook_list(request):
    form = EndpointCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        created = _save(form, lambda: services.endpoint_create(actor=request.user, **form.cleaned_data))
        if created:
            endpoint, secret = created
            context = {"endpoint": endpoint, "secret": secret, "form": _edit_form(endpoint), "deliveries": []}
            return render(request, "webhooks/detail.html", context, status=201)
    context = {"form": form, "endpoints": selectors.endpoints_all().select_related("client"),
               "disable_after": settings.WEBHOOKS_DISABLE_AFTER_FAILURES}  # fmt: skip
    return render(request, "webhooks/list.html", context)


def _edit_form(endpoint, data=None):
    initial = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events,
               "is_active": endpoint.is_active}  # fmt: skip
    return EndpointEditForm(data, initial=initial)


@manager_required
def webhook_detail(request, pk):
    endpoint = get_object_or_404(selectors.endpoints_all().select_related("client"), pk=pk)
    form = _edit_form(endpoint, request.POST or None)
    if request.method == "POST" and form.is_valid():
        changes = {name: value for name, value in form.cleaned_data.items() if form.initial[name] != value}
        if not changes:
            messages.success(request, "Nothing changed.")
            return redirect("webhook_detail", pk=endpoint.pk)
        if _save(form, lambda: services.endpoint_update(actor=request.user, endpoint=endpoint, **changes)):
            messages.success(request, "Saved.")
            return redirect("webhook_detail", pk=endpoint.pk)
    deliveries = selectors.deliveries_of(endpoint=endpoint).order_by("-created_at")[:LOG_LENGTH]
    context = {"endpoint": endpoint, "form": form, "deliveries": deliveries}
    return render(request, "webhooks/detail.html", context)


@manager_required
@require_POST
def webhook_test(request, pk):
    endpoint = get_object_or_404(selectors.endpoints_all(), pk=pk)
    outcome = endpoint_ping(endpoint=endpoint)
    if outcome.ok:
        messages.success(request, f"Test delivered: HTTP {outcome.status_code} in {outcome.duration_ms} ms.")
    else:
        code = f"HTTP {outcome.status_code}" if outcome.status_code else "no answer"
        messages.error(request, f"The test failed ({code}{': ' + outcome.error if outcome.error else ''}).")
    return redirect("webhook_detail", pk=endpoint.pk)


@manager_required
@require_POST
def webhook_enable(request, pk):
    endpoint = get_object_or_404(selectors.endpoints_all(), pk=pk)
    services.endpoint_update(actor=request.user, endpoint=endpoint, is_active=True)
    messages.success(request, "The endpoint is active again: new events will be sent to it.")
    return redirect("webhook_detail", pk=endpoint.pk)


@manager_required
@require_POST
def webhook_remove(request, pk):
    endpoint = get_object_or_404(selectors.endpoints_all(), pk=pk)
    services.endpoint_delete(actor=request.user, endpoint=endpoint)
    messages.success(request, f"{endpoint.url} no longer receives events.")
    return redirect("webhook_list")

"""Adding, editing and removing clients; pausing, resuming and syncing their locations (managers)."""

from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from agency.formerrors import form_errors_add
from agency.team.access import manager_required, recent_auth_required
from clients import onboarding, services
from clients.access import client_location_or_404, visible_client_or_404
from clients.forms import ClientForm, NewClientForm
from clients.portfolio.services import client_groups_set


def _test_connection(form):
    """(ok, message) of signing in with the form's login; nothing is stored."""
    data = {name: form.cleaned_data[name] for name in form.CONNECTION_FIELDS}
    try:
        _session, total = onboarding.pulseback_connection_test(
            email=data["pulseback_email"], password=data["pulseback_password"], api_url=data["api_url"],
            auth_url=data["auth_url"], anon_key=data["anon_key"],
        )  # fmt: skip
    except ValidationError as exc:
        return False, " ".join(exc.messages)
    except onboarding.PulseBackUnreachable as exc:
        return False, str(exc)
    return True, f"Connected to PulseBack: {total} feedback items to sync."


def _add_page(request, form):
    """The add-client page; ``?first=1`` (where sign-up lands) makes it the agency's first step."""
    return render(request, "portal/client_add.html", {"form": form, "first": request.GET.get("first") == "1"})


@manager_required
@sensitive_post_parameters("pulseback_password")
def client_add(request):
    form = NewClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "test":
            ok, message = _test_connection(form)
            if request.headers.get("X-Requested-With") == "fetch":  # the page stays, password and all
                return JsonResponse({"ok": ok, "message": message})
            if ok:  # without JavaScript: the page comes back, but never with the password in it
                messages.success(request, f"{message} Type the password again to add the client.")
            else:
                form.add_error(None, message)
            return _add_page(request, form)
        data = form.cleaned_data
        try:
            with transaction.atomic():
                client, _ = services.client_create(
                    actor=request.user,
                    timezone_name=data["timezone"],
                    **{name: data[name] for name in ("name", "report_recipients", "notes", "location_name")},
                    **{name: data[name] for name in form.CONNECTION_FIELDS},
                )
                if data.get("groups"):
                    client_groups_set(actor=request.user, client=client, groups=data["groups"])
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, f"{client.name} was added; its feedback is being synced.")
            return redirect("client_dashboard", pk=client.pk)
    return _add_page(request, form)


@manager_required
def client_edit(request, pk):
    client = visible_client_or_404(user=request.user, pk=pk)
    initial = {
        "name": client.name,
        "timezone": client.timezone,
        "report_recipients": client.report_recipients,
        "notes": client.notes,
        "groups": list(client.portfolio_groups.all()),
    }
    form = ClientForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                services.client_update(
                    actor=request.user, client=client, name=data["name"], timezone=data["timezone"],
                    report_recipients=data["report_recipients"], notes=data["notes"],
                )  # fmt: skip
                if "groups" in form.fields:
                    client_groups_set(actor=request.user, client=client, groups=data["groups"])
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect("client_dashboard", pk=client.pk)
    context = {"form": form, "client": client, "title": f"Edit {client.name}"}
    return render(request, "portal/client_form.html", context)


@manager_required
@recent_auth_required
def client_remove(request, pk):
    client = visible_client_or_404(user=request.user, pk=pk)
    if request.method == "POST":
        services.client_remove(actor=request.user, client=client)
        messages.success(request, f"{client.name} and all its feedback were removed.")
        return redirect("home")
    return render(request, "portal/client_remove.html", {"client": client})


def _location_action(request, pk, location_pk, action, done):
    client = visible_client_or_404(user=request.user, pk=pk)
    location = client_location_or_404(client=client, pk=location_pk)
    try:
        action(location=location)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done.format(location=location.name))
    return redirect("client_dashboard", pk=client.pk)


@manager_required
@require_POST
def location_pause(request, pk, location_pk):
    pause = partial(services.location_pause, actor=request.user)
    return _location_action(request, pk, location_pk, pause, "{location} is paused.")


@manager_required
@require_POST
def location_resume(request, pk, location_pk):
    resume = partial(services.location_resume, actor=request.user)
    return _location_action(request, pk, location_pk, resume, "{location} is resumed; a sync is queued.")


@manager_required
@require_POST
def location_sync(request, pk, location_pk):
    return _location_action(
        request, pk, location_pk, services.location_sync_now, "A sync of {location} is queued."
    )

"""Writes for client businesses and their locations."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from clients.models import Client, ConnectionState, Location, SyncKind, SyncRun, SyncState
from clients.pulseback import check_endpoint_url
from clients.sessions import location_endpoints


def location_check(location):
    """Every problem with a location's login and addresses, keyed by field."""
    errors = {}
    endpoints = location_endpoints(location, checked=False)
    allow_http = settings.PULSEBACK_SANDBOX_ENABLED
    for field, url in (("api_url", endpoints.api_url), ("auth_url", endpoints.auth_url)):
        try:
            check_endpoint_url(url, allow_loopback_http=allow_http)
        except ValueError as exc:
            errors[field] = str(exc)
    if not endpoints.anon_key.strip():
        errors["anon_key"] = (
            "The PulseBack anon key is missing (set PULSEBACK_ANON_KEY or this location's own)."
        )
    try:
        validate_email(location.pulseback_email)
    except ValidationError:
        errors["pulseback_email"] = "Enter the PulseBack login email."
    if not location.pulseback_password:
        errors["pulseback_password"] = "Enter the PulseBack password."  # noqa: S105 - a message
    if errors:
        raise ValidationError(errors)


def sync_queue(*, location, kind):
    """Record a queued SyncRun and send the task once the transaction commits."""
    from clients.tasks import sync_location

    run = SyncRun.objects.create(location=location, kind=kind, state=SyncState.QUEUED)
    transaction.on_commit(lambda: sync_location.delay(location.pk, kind, run.pk))
    return run


@transaction.atomic
def client_create(
    *,
    name,
    pulseback_email,
    pulseback_password,
    location_name="",
    timezone_name="UTC",
    report_recipients=(),
    notes="",
    api_url="",
    auth_url="",
    anon_key="",
):
    """A client business with its first location; its backfill is queued."""
    client = Client(
        name=name.strip(), timezone=timezone_name, report_recipients=list(report_recipients), notes=notes
    )
    client.full_clean()
    client.save()
    location = location_add(
        client=client,
        name=location_name or name,
        pulseback_email=pulseback_email,
        pulseback_password=pulseback_password,
        api_url=api_url,
        auth_url=auth_url,
        anon_key=anon_key,
    )
    return client, location


@transaction.atomic
def location_add(*, client, name, pulseback_email, pulseback_password, api_url="", auth_url="", anon_key=""):
    location = Location(
        client=client,
        name=name.strip(),
        pulseback_email=pulseback_email.strip().lower(),
        pulseback_password=pulseback_password,
        api_url=api_url,
        auth_url=auth_url,
        anon_key=anon_key,
    )
    location_check(location)
    location.save()
    sync_queue(location=location, kind=SyncKind.BACKFILL)
    return location


@transaction.atomic
def location_set_credentials(*, location, pulseback_email, pulseback_password):
    """Replace a location's login: the kept session is dropped and a backfill queued."""
    location.pulseback_email = pulseback_email.strip().lower()
    location.pulseback_password = pulseback_password
    location_check(location)
    location.access_token = location.refresh_token = location.token_expires_at = None
    location.state, location.last_error = ConnectionState.PENDING, ""
    location.save()
    sync_queue(location=location, kind=SyncKind.BACKFILL)


def location_pause(*, location):
    location.state = ConnectionState.PAUSED
    location.save(update_fields=["state"])


@transaction.atomic
def location_resume(*, location):
    location.state = ConnectionState.PENDING
    location.last_error = ""
    location.save(update_fields=["state", "last_error"])
    kind = SyncKind.INCREMENTAL if location.backfilled_at else SyncKind.BACKFILL
    sync_queue(location=location, kind=kind)


def location_mark_error(*, location_id, state, message):
    Location.objects.filter(pk=location_id).update(
        state=state, last_error=message, last_error_at=timezone.now()
    )

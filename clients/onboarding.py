"""Writes behind the portal's client forms: connection test, edit, sync now, removal.

(Creating a client and pausing or resuming a location are in clients.services.)
"""

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from clients.auth_budget import auth_budget_take
from clients.models import Client, Location, SyncKind
from clients.pulseback import InvalidCredentials, PulseBackError, RateLimited, SessionTokenProvider
from clients.rollups import feedback_daily_rebuild
from clients.services import sync_queue
from clients.sessions import location_endpoints, pulseback_client_for


def pulseback_connection_test(*, email, password, api_url="", auth_url="", anon_key=""):
    """Sign in to PulseBack with these credentials and return how many feedback items the account has.

    Nothing is stored. Raises ValidationError with a message for the person filling the form.
    """
    location = Location(
        pulseback_email=email.strip().lower(), api_url=api_url, auth_url=auth_url, anon_key=anon_key
    )
    try:
        location_endpoints(location)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    try:
        with pulseback_client_for(location, max_retries=1, max_total_wait=5.0) as client:
            auth_budget_take()
            session = client.sign_in(location.pulseback_email, password)
            return client.list_feedback(SessionTokenProvider(client, session), limit=1).total
    except InvalidCredentials:
        raise ValidationError("PulseBack refused this email and password.") from None
    except RateLimited:
        raise ValidationError("PulseBack is busy with sign-ins right now; try again in a minute.") from None
    except PulseBackError as exc:
        raise ValidationError(f"PulseBack could not be reached: {exc}") from None


@transaction.atomic
def client_update(*, client, name, timezone_name, report_recipients=(), notes=""):
    """Change a client's details; a new time zone rebuilds its daily roll-ups (days are local days)."""
    zone_changed = client.timezone != timezone_name
    client.name, client.timezone = name.strip(), timezone_name
    client.report_recipients, client.notes = list(report_recipients), notes
    client.full_clean()
    client.save()
    if zone_changed:
        feedback_daily_rebuild(client=client)
    return client


def location_sync_now(*, location):
    """Queue a sync of the location now (a backfill if it never completed one)."""
    if location.is_paused:
        raise ValidationError("This location is paused: resume it first.")
    return sync_queue(
        location=location, kind=SyncKind.INCREMENTAL if location.backfilled_at else SyncKind.BACKFILL
    )


@transaction.atomic
def client_remove(*, client):
    """Delete a client with its locations, feedback and history. Feedback goes in two SQL
    statements (not loaded into memory: a client can have millions of items)."""
    client = Client.objects.select_for_update().get(pk=client.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM clients_feedbackstatuschange WHERE feedback_id IN "
            "(SELECT id FROM clients_feedback WHERE client_id = %s)",
            [client.pk],
        )
        cursor.execute("DELETE FROM clients_feedback WHERE client_id = %s", [client.pk])
    client.delete()

"""Writes for client businesses and their locations.

The portal, the API, the bulk import and the commands all call these. Each records its audit
event itself, inside the same transaction as the change (``actor`` None: the system).
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import CASCADE, SET_NULL
from django.utils import timezone

from agency import netguard
from agency.operator.plans import plan_limit_check
from agency.team.audit import audit_record
from clients import onboarding
from clients.models import Client, ConnectionState, Feedback, Location, SyncKind, SyncRun, SyncState
from clients.rollups import feedback_daily_rebuild
from clients.sessions import location_endpoints
from clients.sync_lock import sync_runs_fail_stale

CLIENT_EDITABLE = ("name", "timezone", "report_recipients", "notes")
SYNC_ACTIVE = (SyncState.QUEUED, SyncState.RUNNING, SyncState.DEFERRED)
DEFERRED_GRACE = timedelta(minutes=5)  # a deferred run not resumed this long after its time is sent again
# A queued run not started this long after its planned start lost its message (a broker restarted
# without its data): it is sent again. Far longer than a busy queue's wait (a second message for
# a run only costs a second sync).
QUEUED_GRACE = timedelta(hours=1)


def location_check(location):
    """Every problem with a location's login and addresses, keyed by field. Host names are resolved
    now, so an address that leads to a private network is refused before any connection is made."""
    errors = {}
    endpoints = location_endpoints(location, checked=False)
    allow_http = settings.PULSEBACK_SANDBOX_ENABLED
    for field, url in (("api_url", endpoints.api_url), ("auth_url", endpoints.auth_url)):
        try:
            netguard.check_url_resolves(url, allow_loopback_http=allow_http)
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


def run_is_lost(run, *, now):
    """Whether the message of a deferred or queued run is overdue: a deferred run not resumed
    DEFERRED_GRACE after its time, a queued one not started QUEUED_GRACE after its planned start.
    (clients.scheduling asks the same of every location in SQL.)"""
    if run.state == SyncState.DEFERRED:
        return run.retry_at is None or run.retry_at < now - DEFERRED_GRACE
    return run.state == SyncState.QUEUED and run.queued_at < now - QUEUED_GRACE


def sync_queue(*, location, kind, countdown=None):
    """Queue a sync of ``location`` (in ``countdown`` seconds) unless one is already waiting, running
    or deferred; return that run.

    The one way every path (portal, API, schedule, command, a partial run's catch-up) starts a
    sync. A run whose worker died (its lock owner is gone, or its lock expired) does not count: it
    is failed first. A run whose message is overdue (``run_is_lost``) is sent again.
    """
    from clients.tasks import sync_location

    sync_runs_fail_stale(location=location)
    active = location.sync_runs.filter(state__in=SYNC_ACTIVE).first()
    if active is not None:
        if run_is_lost(active, now=timezone.now()):
            args = (location.pk, active.kind, active.pk)
            transaction.on_commit(lambda: sync_location.delay(*args))
        return active
    run = SyncRun.objects.create(location=location, kind=kind, state=SyncState.QUEUED)
    transaction.on_commit(lambda: sync_location.apply_async((location.pk, kind, run.pk), countdown=countdown))
    return run


def location_sync_now(*, location):
    """Queue a sync of the location now (a backfill if it never completed one)."""
    if location.is_paused:
        raise ValidationError("This location is paused: resume it first.")
    return sync_queue(
        location=location, kind=SyncKind.INCREMENTAL if location.backfilled_at else SyncKind.BACKFILL
    )


@transaction.atomic
def client_create(
    *,
    actor,
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
    test_connection=False,
):
    """A client business with its first location; its backfill is queued.

    ``test_connection``: sign in and count the items first (the session is kept, so the first
    sync does not sign in again; the count is on ``location.pulseback_total``); raises
    ValidationError or PulseBackUnreachable.
    """
    plan_limit_check(limit="clients", count=Client.objects.count)
    client = Client(
        name=name.strip(), timezone=timezone_name, report_recipients=list(report_recipients), notes=notes
    )
    client.full_clean()
    client.save()
    audit_record(actor=actor, action="client.created", target=client)
    location = _location_create(
        client=client,
        name=location_name or name,
        pulseback_email=pulseback_email,
        pulseback_password=pulseback_password,
        api_url=api_url,
        auth_url=auth_url,
        anon_key=anon_key,
        test_connection=test_connection,
    )
    return client, location


@transaction.atomic
def client_create_empty(*, actor, name, timezone_name="UTC", report_recipients=()):
    """A client with no location yet (its business owner will connect one)."""
    plan_limit_check(limit="clients", count=Client.objects.count)
    client = Client(name=name.strip(), timezone=timezone_name, report_recipients=list(report_recipients))
    client.full_clean()
    client.save()
    audit_record(actor=actor, action="client.created", target=client)
    return client


@transaction.atomic
def client_update(*, actor, client, **changes):
    """Change some of a client's details; a new time zone rebuilds its daily roll-ups (days are
    local days). ``changes``: any of CLIENT_EDITABLE."""
    for field in changes:
        if field not in CLIENT_EDITABLE:
            raise ValidationError({field: "This field cannot be changed."})
    zone_changed = "timezone" in changes and client.timezone != changes["timezone"]
    for field, value in changes.items():
        value = value.strip() if field == "name" else value
        setattr(client, field, list(value) if field == "report_recipients" else value)
    client.full_clean()
    client.save()
    if zone_changed:
        feedback_daily_rebuild(client=client)
    audit_record(actor=actor, action="client.updated", target=client, fields=sorted(changes))
    return client


def _sql_cascade_delete(cursor, model, where, params):
    """DELETE ``model``'s rows matching ``where`` (SQL on its table), as the ORM would but without
    loading any into memory: first, the same way, every row that cascades from them (status
    history, handling, notes and their mentions: whatever points at them now or later), and the
    references to them that are set to NULL instead (an alert's item)."""
    table, pk = model._meta.db_table, model._meta.pk.column
    for relation in model._meta.get_fields(include_hidden=True):
        if not relation.auto_created or relation.concrete:
            continue
        column, dependent_table = relation.field.column, relation.related_model._meta.db_table
        dependent = f"{column} IN (SELECT {pk} FROM {table} WHERE {where})"  # noqa: S608 - names from the models
        if relation.on_delete is CASCADE:
            _sql_cascade_delete(cursor, relation.related_model, dependent, params)
        elif relation.on_delete is SET_NULL:
            cursor.execute(f"UPDATE {dependent_table} SET {column} = NULL WHERE {dependent}", params)  # noqa: S608
    cursor.execute(f"DELETE FROM {table} WHERE {where}", params)  # noqa: S608 - names from the models


@transaction.atomic
def client_remove(*, actor, client):
    """Delete a client with its locations, feedback and history. Feedback, and what hangs from it,
    goes in SQL statements (a client can have millions of items)."""
    client = Client.objects.select_for_update().get(pk=client.pk)
    audit_record(actor=actor, action="client.removed", target=client)
    with connection.cursor() as cursor:
        _sql_cascade_delete(cursor, Feedback, "client_id = %s", [client.pk])
    client.delete()


@transaction.atomic
def location_add(*, actor, client, test_connection=False, owner_email=None, **login):
    """Another location of ``client``: ``login`` holds its name, PulseBack email and password,
    and optionally its own addresses. Its backfill is queued. ``owner_email``: the business owner
    typed the login themselves (through a connect link), not a member of the agency."""
    location = _location_create(client=client, test_connection=test_connection, **login)
    if owner_email:
        audit_record(actor=None, action="location.connected_by_owner", target=location, email=owner_email)
    else:
        audit_record(actor=actor, action="location.added", target=location, client=client.name)
    return location


def _location_create(
    *,
    client,
    name,
    pulseback_email,
    pulseback_password,
    api_url="",
    auth_url="",
    anon_key="",
    test_connection=False,
):
    plan_limit_check(limit="locations", count=Location.objects.count)
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
    session = None
    if test_connection:
        session, location.pulseback_total = onboarding.pulseback_connection_test(
            email=pulseback_email, password=pulseback_password,
            api_url=api_url, auth_url=auth_url, anon_key=anon_key,
        )  # fmt: skip
    location.save()
    if session is not None:
        onboarding.session_store(location=location, session=session)
    sync_queue(location=location, kind=SyncKind.BACKFILL)
    return location


@transaction.atomic
def location_set_credentials(*, actor, location, pulseback_email, pulseback_password):
    """Replace a location's login: the kept session is dropped and a backfill queued."""
    location.pulseback_email = pulseback_email.strip().lower()
    location.pulseback_password = pulseback_password
    location_check(location)
    location.access_token = location.refresh_token = location.token_expires_at = None
    location.state, location.last_error = ConnectionState.PENDING, ""
    location.save()
    audit_record(actor=actor, action="location.credentials_replaced", target=location)
    sync_queue(location=location, kind=SyncKind.BACKFILL)


@transaction.atomic
def location_pause(*, actor, location):
    location.state = ConnectionState.PAUSED
    location.save(update_fields=["state"])
    audit_record(actor=actor, action="location.paused", target=location)


@transaction.atomic
def location_resume(*, actor, location):
    location.state = ConnectionState.PENDING
    location.last_error = ""
    location.save(update_fields=["state", "last_error"])
    audit_record(actor=actor, action="location.resumed", target=location)
    kind = SyncKind.INCREMENTAL if location.backfilled_at else SyncKind.BACKFILL
    sync_queue(location=location, kind=kind)


def location_mark_error(*, location_id, state, message):
    Location.objects.filter(pk=location_id).update(
        state=state, last_error=message, last_error_at=timezone.now()
    )

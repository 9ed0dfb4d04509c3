"""Bulk import of clients and locations from a reseller's CSV: checked row by row, imported all at once.

Columns (a header row is required; order does not matter):
``client, location, timezone, report_recipients, pulseback_email, pulseback_password, invite_email,
api_url, auth_url, anon_key``. Each row is one location; rows with the same client name make one
client with several locations. A row gives either a PulseBack login, or an ``invite_email`` to ask
the business owner for it.
"""

import csv
import io
import json
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from agency.crypto import decrypt, encrypt
from clients.models import Client, Location
from clients.owners import connect_invitation_create
from clients.services import client_create, client_create_empty, location_add, location_check

MAX_BYTES = 1024 * 1024
MAX_ROWS = 2000
COLUMNS = ("client", "location", "timezone", "report_recipients", "pulseback_email", "pulseback_password",
           "invite_email", "api_url", "auth_url", "anon_key")  # fmt: skip


def _row_errors(row, seen):
    errors = []
    if not row["client"]:
        errors.append("the client name is empty")
    if row["timezone"] and row["timezone"] not in zoneinfo.available_timezones():
        errors.append(f"unknown time zone “{row['timezone']}”")
    for email in filter(None, (e.strip() for e in row["report_recipients"].split(";"))):
        try:
            validate_email(email)
        except ValidationError:
            errors.append(f"“{email}” is not an email address")
    has_login = bool(row["pulseback_email"] or row["pulseback_password"])
    if has_login == bool(row["invite_email"]):
        errors.append("give either a PulseBack login (email and password) or an invite_email, not both")
    elif has_login:
        login = {
            key: row[key]
            for key in ("pulseback_email", "pulseback_password", "api_url", "auth_url", "anon_key")
        }
        try:
            location_check(Location(**login))
        except ValidationError as exc:
            errors += [f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()]
    else:
        try:
            validate_email(row["invite_email"])
        except ValidationError:
            errors.append("invite_email is not an email address")
    key = (row["client"].lower(), (row["location"] or row["client"]).lower())
    if key in seen:
        errors.append("the same client and location appear twice in the file")
    seen.add(key)
    if Client.objects.filter(name__iexact=row["client"]).exists():
        errors.append("a client with this name exists already")
    return errors


def import_parse(*, upload):
    """Every row of the file with its problems: [(line, row, [errors])]. ValidationError for the file."""
    if upload.size > MAX_BYTES:
        raise ValidationError("The file is too big: at most 1 MB.")
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The file is not UTF-8 text: save it as “CSV UTF-8”.") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = {"client", "pulseback_email", "pulseback_password", "invite_email"} - set(
        reader.fieldnames or ()
    )
    if missing:
        raise ValidationError(f"Columns missing from the header row: {', '.join(sorted(missing))}.")
    parsed, seen = [], set()
    try:
        for line, raw in enumerate(reader, start=2):
            if line - 1 > MAX_ROWS:
                raise ValidationError(f"The file has more than {MAX_ROWS} rows: split it.")
            row = {name: (raw.get(name) or "").strip() for name in COLUMNS}
            parsed.append((line, row, _row_errors(row, seen)))
    except csv.Error as exc:
        raise ValidationError(f"The file is not valid CSV: {exc}.") from None
    if not parsed:
        raise ValidationError("The file has no rows under its header.")
    return parsed


def import_seal(rows):
    """The valid rows, encrypted (they hold passwords), to carry from the preview to the confirmation."""
    return encrypt(json.dumps(rows))


def import_unseal(sealed):
    return json.loads(decrypt(sealed))


@transaction.atomic
def import_rows(*, rows, invited_by):
    """Create every client and location of the valid rows, or nothing."""
    clients = {}
    for row in rows:
        endpoints = {key: row[key] for key in ("api_url", "auth_url", "anon_key")}
        recipients = [e.strip() for e in row["report_recipients"].split(";") if e.strip()]
        client = clients.get(row["client"].lower())
        if client is None and row["pulseback_email"]:
            client, _ = client_create(
                actor=invited_by, name=row["client"], location_name=row["location"],
                timezone_name=row["timezone"] or "UTC", report_recipients=recipients,
                pulseback_email=row["pulseback_email"], pulseback_password=row["pulseback_password"],
                **endpoints,
            )  # fmt: skip
        else:
            if client is None:
                client = client_create_empty(actor=invited_by, name=row["client"],
                                             timezone_name=row["timezone"] or "UTC",
                                             report_recipients=recipients)  # fmt: skip
            if row["pulseback_email"]:
                location_add(actor=invited_by, client=client, name=row["location"] or row["client"],
                             pulseback_email=row["pulseback_email"],
                             pulseback_password=row["pulseback_password"], **endpoints)  # fmt: skip
            else:
                connect_invitation_create(
                    client=client, email=row["invite_email"], location_name=row["location"],
                    invited_by=invited_by, **endpoints,
                )  # fmt: skip
        clients[row["client"].lower()] = client
    return list(clients.values())

"""Bulk import for resellers: upload a CSV, preview which rows are valid and why others are not, confirm."""

import csv
import io

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_variables

from agency.team.access import manager_required
from clients import bulk_import
from clients.forms import connection_defaults

SESSION_KEY = "clients-import"
# The template's example rows: two locations of one client (a login, and the owner asked for theirs),
# and a client of its own. The PulseBack addresses are the add-client form's defaults.
TEMPLATE_ROWS = (
    {"client": "Bistro Verde", "location": "Main Street", "timezone": "Europe/Paris",
     "report_recipients": "owner@bistro.example;manager@bistro.example",
     "pulseback_email": "main-street@bistro.example", "pulseback_password": "their PulseBack password"},
    {"client": "Bistro Verde", "location": "Harbour", "timezone": "Europe/Paris",
     "invite_email": "owner@bistro.example"},
    {"client": "Bright Smile Dental", "timezone": "America/New_York",
     "pulseback_email": "front-desk@brightsmile.example", "pulseback_password": "their PulseBack password"},
)  # fmt: skip


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="UTF-8, one row per location, at most 2000 rows.")


@manager_required
@sensitive_variables("valid")
def client_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and request.POST.get("action") == "confirm":
        sealed = request.session.pop(SESSION_KEY, None)
        if sealed is None:
            messages.error(request, "Nothing to import: upload the file again.")
            return redirect("client_import")
        try:
            clients = bulk_import.import_rows(rows=bulk_import.import_unseal(sealed), invited_by=request.user)
        except ValidationError as exc:  # e.g. the plan's limit: nothing was imported
            messages.error(request, f"Nothing was imported. {' '.join(exc.messages)}")
            return redirect("client_import")
        messages.success(request, f"{len(clients)} clients imported; their feedback is being synced.")
        return redirect("home")
    if request.method == "POST" and form.is_valid():
        try:
            parsed = bulk_import.import_parse(upload=form.cleaned_data["file"])
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            valid = [row for _line, row, errors in parsed if not errors]
            request.session[SESSION_KEY] = bulk_import.import_seal(valid)
            rows = [
                (line, row["client"], row["location"] or row["client"], errors)
                for line, row, errors in parsed
            ]
            return render(request, "portal/client_import_preview.html", {"rows": rows, "valid": len(valid)})
    return render(request, "portal/client_import.html", {"form": form, "columns": bulk_import.COLUMNS})


@manager_required
def client_import_template(request):
    """A CSV file to start from: the header row and example rows to replace."""
    addresses, _source = connection_defaults()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=bulk_import.COLUMNS, restval="")
    writer.writeheader()
    for row in TEMPLATE_ROWS:
        writer.writerow({**addresses, **row})
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="clients-import-template.csv"'
    return response

"""Bulk import for resellers: upload a CSV, preview which rows are valid and why others are not, confirm."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_variables

from agency.team.access import manager_required
from clients import bulk_import

SESSION_KEY = "clients-import"


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
        clients = bulk_import.import_rows(rows=bulk_import.import_unseal(sealed), invited_by=request.user)
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

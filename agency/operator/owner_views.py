"""An agency's owner takes their data away: ask for an export, download it once (agency domain)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from agency.models import AgencyExport
from agency.operator import services
from agency.team.access import role_required
from agency.team.models import Role

owner_required = role_required(Role.OWNER)


@owner_required
def data_export(request):
    agency = connection.tenant
    if request.method == "POST":
        try:
            services.export_request(agency=agency, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, "Your export is being prepared. Reload this page in a minute to download it."
            )
        return redirect("data_export")
    exports = AgencyExport.objects.filter(agency=agency)[:10]
    return render(request, "operator/data_export.html", {"exports": exports})


@owner_required
@require_POST
def data_export_download(request, pk):
    export = get_object_or_404(AgencyExport, pk=pk, agency=connection.tenant)
    try:
        handle = services.export_download(export=export, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("data_export")
    return FileResponse(handle, as_attachment=True, filename=export.file.name.rsplit("/", 1)[-1])

"""Report pages: a client's reports (list, request, schedule), preview, download, approval queue."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from agency.formerrors import form_errors_add
from agency.team.access import manager_required, member_required
from agency.team.models import Role
from clients.access import visible_client_or_404
from reports import selectors, services
from reports.forms import ReportRequestForm, ScheduleForm
from reports.models import ALL_SECTIONS
from reports.rendering import report_html


def _may_write(user):
    return user.role != Role.CLIENT_VIEWER


@member_required
def client_reports(request, pk):
    client = visible_client_or_404(user=request.user, pk=pk)
    form = ReportRequestForm(request.POST or None, client=client)
    if request.method == "POST":
        if not _may_write(request.user):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.report_request(
                    client=client, start=data["start"], end=data["end"], sections=data["sections"],
                    location=data["location"], requested_by=request.user,
                )  # fmt: skip
            except ValidationError as exc:
                form_errors_add(form, exc)
            else:
                messages.success(request, "The report is being generated; it appears below in a moment.")
                return redirect("client_reports", pk=client.pk)
    schedule = selectors.schedule_of(client=client)
    context = {
        "client": client,
        "form": form,
        "reports": selectors.reports_of(client=client),
        "schedule_form": ScheduleForm(instance=schedule) if request.user.is_manager else None,
    }
    return render(request, "reports/client_reports.html", context)


@manager_required
@require_POST
def client_schedule(request, pk):
    client = visible_client_or_404(user=request.user, pk=pk)
    form = ScheduleForm(request.POST, instance=selectors.schedule_of(client=client))
    if form.is_valid():
        services.report_schedule_save(schedule=form.save(commit=False), actor=request.user)
        messages.success(request, "The report schedule was saved.")
        return redirect("client_reports", pk=client.pk)
    context = {"client": client, "form": ReportRequestForm(client=client), "schedule_form": form,
               "reports": selectors.reports_of(client=client)}  # fmt: skip
    return render(request, "reports/client_reports.html", context, status=400)


@member_required
def report_preview(request, pk):
    """The report as a web page, before generating the PDF."""
    client = visible_client_or_404(user=request.user, pk=pk)
    form = ReportRequestForm(request.GET, client=client)
    if not form.is_valid():
        return render(request, "reports/client_reports.html",
                      {"client": client, "form": form, "reports": selectors.reports_of(client=client)},
                      status=400)  # fmt: skip
    data = form.cleaned_data
    try:
        services.report_validate_period(client=client, start=data["start"], end=data["end"])
    except ValidationError as exc:
        form_errors_add(form, exc)
        return render(request, "reports/client_reports.html",
                      {"client": client, "form": form, "reports": selectors.reports_of(client=client)},
                      status=400)  # fmt: skip
    content = selectors.report_data(
        client=client, location=data["location"], start=data["start"], end=data["end"],
        sections=data["sections"] or ALL_SECTIONS,
    )  # fmt: skip
    return HttpResponse(report_html(content, agency=connection.tenant, preview=True))


@member_required
def report_download(request, pk):
    """The stored PDF, to those who may see the client (never a public media URL)."""
    report = selectors.report_visible_or_404(user=request.user, pk=pk)
    if not report.pdf:
        raise Http404("This report has no PDF yet.")
    filename = report.pdf.name.rsplit("/", 1)[-1]
    return FileResponse(
        report.pdf.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf"
    )


@manager_required
def approval_queue(request):
    reports = selectors.reports_awaiting_approval(user=request.user)
    return render(request, "reports/approval_queue.html", {"reports": reports})


@manager_required
@require_POST
def report_approve(request, pk):
    report = selectors.report_visible_or_404(user=request.user, pk=pk)
    try:
        services.report_approve(report=report, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"The report of {report.client} is being sent.")
    return redirect("report_queue")

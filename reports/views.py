"""Report pages: a client's reports (list, request, schedule), preview, download, approval queue."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from agency.portal.access import member_required, visible_client_or_404
from agency.team.access import manager_required
from agency.team.models import Role
from clients.selectors import clients_visible_to
from reports import services
from reports.forms import ReportRequestForm, ScheduleForm
from reports.models import ALL_SECTIONS, Report, ReportSchedule, ReportState
from reports.rendering import report_html
from reports.selectors import report_data


def _may_write(user):
    return user.role != Role.CLIENT_VIEWER


def _report_or_404(*, user, pk):
    return get_object_or_404(Report.objects.select_related("client"), pk=pk,
                             client__in=clients_visible_to(user=user))  # fmt: skip


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
                for field, errors in exc.message_dict.items():
                    form.add_error(field, errors)
            else:
                messages.success(request, "The report is being generated; it appears below in a moment.")
                return redirect("client_reports", pk=client.pk)
    schedule = ReportSchedule.objects.filter(client=client).first()
    context = {
        "client": client,
        "form": form,
        "reports": Report.objects.filter(client=client).prefetch_related("deliveries")[:50],
        "schedule_form": ScheduleForm(instance=schedule) if request.user.is_manager else None,
    }
    return render(request, "reports/client_reports.html", context)


@manager_required
@require_POST
def client_schedule(request, pk):
    client = visible_client_or_404(user=request.user, pk=pk)
    schedule = ReportSchedule.objects.filter(client=client).first() or ReportSchedule(client=client)
    form = ScheduleForm(request.POST, instance=schedule)
    if form.is_valid():
        services.report_schedule_save(schedule=form.save(commit=False), actor=request.user)
        messages.success(request, "The report schedule was saved.")
        return redirect("client_reports", pk=client.pk)
    context = {"client": client, "form": ReportRequestForm(client=client), "schedule_form": form,
               "reports": Report.objects.filter(client=client)[:50]}  # fmt: skip
    return render(request, "reports/client_reports.html", context, status=400)


@member_required
def report_preview(request, pk):
    """The report as a web page, before generating the PDF."""
    client = visible_client_or_404(user=request.user, pk=pk)
    form = ReportRequestForm(request.GET, client=client)
    if not form.is_valid():
        return render(request, "reports/client_reports.html",
                      {"client": client, "form": form, "reports": Report.objects.filter(client=client)[:50]},
                      status=400)  # fmt: skip
    data = form.cleaned_data
    try:
        services.report_validate_period(client=client, start=data["start"], end=data["end"])
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field, errors)
        return render(request, "reports/client_reports.html",
                      {"client": client, "form": form, "reports": Report.objects.filter(client=client)[:50]},
                      status=400)  # fmt: skip
    content = report_data(client=client, location=data["location"], start=data["start"], end=data["end"],
                          sections=data["sections"] or ALL_SECTIONS)  # fmt: skip
    return HttpResponse(report_html(content, agency=connection.tenant, preview=True))


@member_required
def report_download(request, pk):
    """The stored PDF, to those who may see the client (never a public media URL)."""
    report = _report_or_404(user=request.user, pk=pk)
    if not report.pdf:
        raise Http404("This report has no PDF yet.")
    filename = report.pdf.name.rsplit("/", 1)[-1]
    return FileResponse(
        report.pdf.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf"
    )


@manager_required
def approval_queue(request):
    reports = Report.objects.filter(state=ReportState.AWAITING_APPROVAL).select_related("client")
    return render(request, "reports/approval_queue.html", {"reports": reports})


@manager_required
@require_POST
def report_approve(request, pk):
    report = _report_or_404(user=request.user, pk=pk)
    try:
        services.report_approve(report=report, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"The report of {report.client} is being sent.")
    return redirect("report_queue")

"""Report pages: a client's reports (list, request, schedule), a report (its pages, commentary,
sending, share links, delivery log), the preview, download, page images, approval queue."""

import secrets

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from agency.formerrors import form_errors_add
from agency.team.access import manager_required, member_required, role_required
from agency.team.models import Role
from clients.access import visible_client_or_404
from reports import selectors, services
from reports.forms import CommentaryForm, PreviewForm, ReportRequestForm, ScheduleForm, SendForm, ShareForm
from reports.markdown import markdown_html
from reports.models import Language, Report, ReportState, ShareLink
from reports.rendering import pdf_page_count, pdf_page_png

writer_required = role_required(Role.OWNER, Role.ADMIN, Role.STAFF)
PREVIEW_SECONDS = 30 * 60


def _client_page(request, client, form, *, taken=None, schedule_form=None, status=200):
    template = selectors.effective_template(client=client)
    if schedule_form is None and request.user.is_manager:
        schedule_form = ScheduleForm(instance=selectors.schedule_of(client=client))
    context = {
        "client": client,
        "form": form,
        "taken": taken,
        "reports": selectors.reports_of(client=client, user=request.user),
        "schedule_form": schedule_form,
        "language": Language(template["language"]).label,
        "approval_required": template["approval_required"],
    }
    return render(request, "reports/client_reports.html", context, status=status)


@member_required
def client_reports(request, pk):
    client = visible_client_or_404(user=request.user, pk=pk)
    order = selectors.effective_template(client=client)["sections"]
    form = ReportRequestForm(request.POST or None, client=client, initial={"sections": order})
    if request.method != "POST":
        return _client_page(request, client, form)
    if request.user.role == Role.CLIENT_VIEWER:
        raise PermissionDenied
    if not form.is_valid():
        return _client_page(request, client, form)
    data = form.cleaned_data
    send = request.POST.get("action") == "send"
    try:
        report = services.report_request(
            client=client, start=data["start"], end=data["end"], sections=data["sections"],
            location=data["location"], requested_by=request.user, commentary=data["commentary"],
            recipients=data["recipients"], send=send, replace=data["replace"],
        )  # fmt: skip
    except services.PeriodTaken as taken:
        return _client_page(request, client, form, taken={"report": taken.existing, "send": send})
    except ValidationError as exc:
        form_errors_add(form, exc)
        return _client_page(request, client, form)
    messages.success(request, "The report is being generated: its pages appear here in a moment.")
    return redirect("report_detail", pk=report.pk)


@manager_required
@require_POST
def client_schedule(request, pk):
    client = visible_client_or_404(user=request.user, pk=pk)
    form = ScheduleForm(request.POST, instance=selectors.schedule_of(client=client))
    if form.is_valid():
        services.report_schedule_save(schedule=form.save(commit=False), actor=request.user)
        messages.success(request, "The report schedule was saved.")
        return redirect("client_reports", pk=client.pk)
    return _client_page(request, client, ReportRequestForm(client=client), schedule_form=form, status=400)


@member_required
def report_preview(request, pk):
    """The real PDF of a period, before anything is generated, shown as page images."""
    client = visible_client_or_404(user=request.user, pk=pk)
    form = PreviewForm(request.GET, client=client)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.report_validate_period(client=client, start=data["start"], end=data["end"])
        except ValidationError as exc:
            form_errors_add(form, exc)
    if form.errors:
        return _client_page(request, client, form, status=400)
    language = selectors.client_settings(client=client).language
    report = Report(client=client, location=data["location"], start=data["start"], end=data["end"],
                    sections=data["sections"], language=language)  # fmt: skip
    pdf = services.report_render(report=report)
    token = secrets.token_urlsafe(16)
    cache.set(f"reports:preview:{token}", {"user": request.user.pk, "pdf": pdf}, PREVIEW_SECONDS)
    pages = range(1, pdf_page_count(pdf) + 1)
    return render(request, "reports/preview.html", {"client": client, "report": report, "token": token,
                                                    "pages": pages})  # fmt: skip


def png_response(pdf, page):
    """A page of a PDF (1-based) as a PNG response."""
    try:
        body = pdf_page_png(pdf, page - 1)
    except IndexError:
        raise Http404("No such page.") from None
    response = HttpResponse(body, content_type="image/png")
    response["Cache-Control"] = "private, max-age=600"
    return response


@member_required
def preview_page(request, token, page):
    stored = cache.get(f"reports:preview:{token}")
    if stored is None or stored["user"] != request.user.pk:
        raise Http404("This preview has expired: open it again.")
    return png_response(stored["pdf"], page)


@member_required
def report_detail(request, pk):
    """A report: its real pages, its commentary, sending it, its share links and delivery log."""
    report = selectors.report_visible_or_404(user=request.user, pk=pk)
    writer = request.user.role != Role.CLIENT_VIEWER
    context = {
        "report": report,
        "client": report.client,
        "pages": range(1, report.page_count + 1),
        "writer": writer,
        "rendering": report.state == ReportState.QUEUED,
        "commentary_html": markdown_html(report.commentary),
        "language": report.get_language_display(),
    }
    if writer:
        context.update(
            commentary_form=CommentaryForm(initial={"commentary": report.commentary}),
            send_form=SendForm(initial={"recipients": ", ".join(report.recipients)}),
            share_form=ShareForm(),
            links=[(link, selectors.share_url(link)) for link in report.share_links.all()],
            deliveries=report.deliveries.all(),
            versions=selectors.versions_of(report) if request.user.is_manager else [],
            approval_required=selectors.effective_template(client=report.client)["approval_required"],
        )  # fmt: skip
    return render(request, "reports/report_detail.html", context)


@member_required
def report_page(request, pk, page):
    report = selectors.report_visible_or_404(user=request.user, pk=pk)
    if not report.pdf:
        raise Http404("This report has no PDF yet.")
    with report.pdf.open("rb") as fh:
        return png_response(fh.read(), page)


@writer_required
@require_POST
def report_commentary(request, pk):
    report = selectors.report_visible_or_404(user=request.user, pk=pk)
    form = CommentaryForm(request.POST)
    if form.is_valid():
        try:
            services.report_commentary_save(report=report, commentary=form.cleaned_data["commentary"],
                                            actor=request.user)  # fmt: skip
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "The commentary was saved; the PDF is being generated again with it.")
    return redirect("report_detail", pk=report.pk)


@writer_required
@require_POST
def report_send(request, pk):
    report = selectors.report_visible_or_404(user=request.user, pk=pk)
    form = SendForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("recipients", ["Check the addresses."])))
        return redirect("report_detail", pk=report.pk)
    try:
        report = services.report_send_request(report=report, actor=request.user,
                                              recipients=form.cleaned_data["recipients"])  # fmt: skip
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if report.state == ReportState.AWAITING_APPROVAL:
            messages.success(
                request, "The report waits for an owner or admin to approve it, then it is sent."
            )
        else:
            messages.success(request, "The report is being sent.")
    return redirect("report_detail", pk=report.pk)


@writer_required
@require_POST
def share_link_create(request, pk):
    report = selectors.report_visible_or_404(user=request.user, pk=pk)
    form = ShareForm(request.POST)
    if form.is_valid():
        try:
            services.share_link_create(report=report, days=form.cleaned_data["days"], actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "The share link was created: copy it below.")
    return redirect("report_detail", pk=report.pk)


@writer_required
@require_POST
def share_link_revoke(request, pk):
    link = get_object_or_404(ShareLink.objects.select_related("report"), pk=pk)
    report = selectors.report_visible_or_404(user=request.user, pk=link.report_id)
    services.share_link_revoke(link=link, actor=request.user)
    messages.success(request, "The share link was revoked: it no longer opens the report.")
    return redirect("report_detail", pk=report.pk)


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
    reports = [(report, markdown_html(report.commentary))
               for report in selectors.reports_awaiting_approval(user=request.user)]  # fmt: skip
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

"""Writes for reports: request, generate (render and store the PDF), replace, comment, approve, send,
schedule, the agency's template, a client's report settings, share links.

Approval rule: a report that is to be emailed (sent from the portal, or due on a schedule) waits
in the approval queue when the agency's template or the schedule asks for approval.
"""

import logging
import secrets
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone, translation

from agency import events
from agency.branding.services import logo_bytes
from agency.emails import email_send
from agency.team.audit import audit_record
from clients.selectors import client_local_today
from reports import selectors
from reports.models import DeliveryState, Report, ReportDelivery, ReportState, ShareLink
from reports.rendering import pdf_page_count, report_html, report_pdf

logger = logging.getLogger(__name__)
SHARE_DAYS = (7, 30, 90)
EDITABLE_STATES = (ReportState.READY, ReportState.AWAITING_APPROVAL, ReportState.FAILED)


class PeriodTaken(Exception):
    """The period already has a current report: replace it, or keep it."""

    def __init__(self, existing):
        super().__init__(f"report {existing.pk} already covers this period")
        self.existing = existing


def report_validate_period(*, client, start, end):
    """A clear error for a period that cannot be reported on."""
    if start > end:
        raise ValidationError({"start": "The start of the period is after its end."})
    if end >= client_local_today(client=client):
        raise ValidationError({"end": "The period must have ended: its last day must be before today."})
    if (end - start).days > 3 * 366:
        raise ValidationError({"start": "A report covers at most three years."})


def report_render(*, report):
    """The PDF bytes of a report (nothing stored), in the report's language."""
    template = selectors.effective_template(client=report.client)
    chosen = report.sections or template["sections"]
    sections = selectors.ordered_sections(chosen=chosen, order=template["sections"])
    with translation.override(report.language or template["language"]):
        data = selectors.report_data(client=report.client, location=report.location, start=report.start,
                                     end=report.end, sections=sections)  # fmt: skip
        agency = connection.tenant
        logo = logo_bytes(agency)
        html = report_html(data, agency=agency, template=template, commentary=report.commentary, logo=logo)
        return report_pdf(html, logo=logo)


def _needs_approval(report):
    schedule_asks = report.schedule is not None and report.schedule.approval_required
    return schedule_asks or selectors.agency_template().approval_required


def _deliver(report):
    """After a (re-)render: hold it for approval, or send it, if it is to be emailed."""
    if not (report.send_when_ready or report.schedule_id):
        return ReportState.READY
    if _needs_approval(report):
        return ReportState.AWAITING_APPROVAL
    from reports.tasks import report_send_task

    transaction.on_commit(lambda: report_send_task.delay(report.pk))
    return ReportState.READY


def report_generate(*, report_id):
    """Render a queued report and store its PDF; then it waits for approval or is sent."""
    report = Report.objects.select_related("client", "location", "schedule").get(pk=report_id)
    if report.state != ReportState.QUEUED:
        return report
    try:
        pdf = report_render(report=report)
    except Exception as exc:
        logger.exception("report %s could not be rendered", report.pk)
        Report.objects.filter(pk=report.pk).update(state=ReportState.FAILED, error=str(exc)[:500])
        raise
    old = report.pdf.name if report.pdf else None
    name = f"{report.client.name[:40]}-{report.start:%Y-%m-%d}-{report.end:%Y-%m-%d}.pdf"
    report.pdf.save(name.replace("/", "-"), ContentFile(pdf), save=False)
    if old and old != report.pdf.name:
        report.pdf.storage.delete(old)
    report.generated_at = timezone.now()
    report.error = ""
    report.page_count = pdf_page_count(pdf)
    report.state = _deliver(report)
    report.save(update_fields=["pdf", "generated_at", "state", "error", "page_count"])
    events.report_ready.send(sender=Report, report=report)
    return report


def _queue_render(report):
    from reports.tasks import report_generate_task

    transaction.on_commit(lambda: report_generate_task.delay(report.pk))


def _clean_recipients(recipients):
    return sorted({address.strip().lower() for address in recipients or () if address.strip()})


@transaction.atomic
def report_request(*, client, start, end, sections=None, location=None, requested_by=None, commentary="",
                   recipients=(), send=False, replace=False):  # fmt: skip
    """A report asked for by a person (or the API): validated, then queued for rendering.

    ``send``: email it once generated (to ``recipients``, else the client's), approval rule applying.
    A period that already has a current report raises PeriodTaken unless ``replace``: then the
    new report supersedes the old one (kept in the archive), and inherits its commentary.
    """
    report_validate_period(client=client, start=start, end=end)
    existing = (Report.objects.select_for_update()
                .filter(client=client, location=location, start=start, end=end, superseded_at__isnull=True)
                .first())  # fmt: skip
    if existing is not None and not replace:
        raise PeriodTaken(existing)
    if existing is not None:
        Report.objects.filter(pk=existing.pk).update(superseded_at=timezone.now())
    report = Report.objects.create(
        client=client, location=location, start=start, end=end, sections=sections or [],
        requested_by=requested_by, language=selectors.client_settings(client=client).language,
        commentary=commentary or (existing.commentary if existing else ""),
        recipients=_clean_recipients(recipients), send_when_ready=send,
    )  # fmt: skip
    if existing is not None:
        Report.objects.filter(pk=existing.pk).update(superseded_by=report)
        audit_record(actor=requested_by, action="report.replaced", target=report, replaced=existing.pk)
    if send:
        audit_record(actor=requested_by, action="report.send_requested", target=report,
                     recipients=report.recipients or "client")  # fmt: skip
    _queue_render(report)
    return report


@transaction.atomic
def report_commentary_save(*, report, commentary, actor):
    """The agency's words for one report; the PDF is rendered again with them (and re-approved)."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.state not in EDITABLE_STATES or not report.is_current:
        raise ValidationError("This report was sent or replaced: its commentary can no longer change.")
    report.commentary = commentary.strip()
    report.state = ReportState.QUEUED
    report.save(update_fields=["commentary", "state"])
    audit_record(actor=actor, action="report.commentary_saved", target=report)
    _queue_render(report)
    return report


@transaction.atomic
def report_send_request(*, report, actor, recipients=()):
    """Email a generated report now (or queue it for approval when the agency asks for it)."""
    report = (
        Report.objects.select_for_update(of=("self",)).select_related("client", "schedule").get(pk=report.pk)
    )
    if report.state != ReportState.READY or not report.is_current:
        raise ValidationError("Only a generated, current report that was not sent yet can be sent.")
    if report.deliveries.filter(state__in=[DeliveryState.SENDING, DeliveryState.SENT]).exists():
        raise ValidationError("This report was sent already: share a link to it instead.")
    report.recipients = _clean_recipients(recipients) or report.recipients
    if not (report.recipients or report.client.report_recipients):
        raise ValidationError({"recipients": "The client has no report recipients: type their addresses."})
    report.send_when_ready = True
    report.state = _deliver(report)
    report.save(update_fields=["recipients", "send_when_ready", "state"])
    audit_record(actor=actor, action="report.send_requested", target=report,
                 recipients=report.recipients or "client")  # fmt: skip
    return report


@transaction.atomic
def report_approve(*, report, actor):
    from reports.tasks import report_send_task

    if report.state != ReportState.AWAITING_APPROVAL:
        raise ValidationError("Only a report waiting for approval can be released.")
    Report.objects.filter(pk=report.pk).update(state=ReportState.READY)
    audit_record(actor=actor, action="report.approved", target=report)
    transaction.on_commit(lambda: report_send_task.delay(report.pk))


def report_send(*, report_id):
    """Email a ready report to its recipients, in its language, at most once.

    A delivery row in state ``sending`` is committed before the email goes out;
    a unique constraint allows one ``sending`` or ``sent`` row per report, so a
    second worker (beat firing twice, a retry after a crash) sends nothing.
    """
    report = Report.objects.select_related("client", "schedule").get(pk=report_id)
    recipients = (
        report.recipients
        or (report.schedule.recipients if report.schedule else [])
        or report.client.report_recipients
    )
    if report.state != ReportState.READY or not recipients or not report.is_current:
        return None
    try:
        with transaction.atomic():
            delivery = ReportDelivery.objects.create(report=report, recipients=recipients)
    except IntegrityError:
        return None
    try:
        with translation.override(report.language):
            attachment = (report.pdf.name.rsplit("/", 1)[-1], report.pdf.read(), "application/pdf")
            context = {"report": report, "client": report.client}
            email_send(template="report", to=recipients, agency=connection.tenant, context=context,
                       attachments=[attachment])  # fmt: skip
    except Exception as exc:
        ReportDelivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.FAILED, error=str(exc)[:500])
        raise
    with transaction.atomic():
        ReportDelivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.SENT)
        Report.objects.filter(pk=report.pk).update(state=ReportState.SENT)
        audit_record(actor=None, action="report.sent", target=report, recipients=recipients)
        events.report_sent.send(sender=Report, report=report)
    return delivery


def schedule_period(*, schedule, today: date):
    """The last whole period of a schedule that has ended by ``today`` if it is due today, else None."""
    if schedule.frequency == "weekly":
        if today.isoweekday() != schedule.day:
            return None
        end = today - timedelta(days=today.isoweekday())  # last Sunday
        return end - timedelta(days=6), end
    if today.day != min(schedule.day, 28):
        return None
    first_of_month = today.replace(day=1)
    if schedule.frequency == "monthly":
        end = first_of_month - timedelta(days=1)
        return end.replace(day=1), end
    if (today.month - 1) % 3:  # quarterly: due in January, April, July and October
        return None
    months_back = first_of_month.year * 12 + first_of_month.month - 1 - 3
    return date(months_back // 12, months_back % 12 + 1, 1), first_of_month - timedelta(days=1)


def _adopt(schedule, start, end):
    """The period has a report already (made by hand, or beat fired twice): the schedule delivers
    that one, unless it is already being delivered."""
    with transaction.atomic():
        report = (Report.objects.select_for_update()
                  .filter(client=schedule.client, location=schedule.location, start=start, end=end,
                          superseded_at__isnull=True).first())  # fmt: skip
        if report is None or report.schedule_id or report.send_when_ready or report.state == ReportState.SENT:
            return None
        report.schedule = schedule
        if report.state == ReportState.READY:
            report.state = _deliver(report)
        report.save(update_fields=["schedule", "state"])
        return report


def schedules_run(*, now=None):
    """Queue each due schedule's report once: a period already queued for a schedule is skipped."""
    from reports.models import ReportSchedule

    queued = []
    for schedule in ReportSchedule.objects.filter(active=True).select_related("client", "location"):
        period = schedule_period(schedule=schedule, today=client_local_today(client=schedule.client, now=now))
        if period is None:
            continue
        try:
            with transaction.atomic():
                report = Report.objects.create(
                    client=schedule.client, location=schedule.location, start=period[0], end=period[1],
                    sections=schedule.sections, schedule=schedule,
                    language=selectors.client_settings(client=schedule.client).language,
                )  # fmt: skip
        except IntegrityError:
            _adopt(schedule, *period)
            continue
        _queue_render(report)
        queued.append(report)
    return queued


@transaction.atomic
def report_schedule_save(*, schedule, actor):
    schedule.save()
    audit_record(
        actor=actor, action="report.schedule_saved", target=schedule.client,
        frequency=schedule.frequency, day=schedule.day, approval=schedule.approval_required,
    )  # fmt: skip
    return schedule


@transaction.atomic
def report_template_save(*, template, actor):
    """The agency's report template: sections and their order, introduction, closing, approval."""
    template.save()
    audit_record(actor=actor, action="report.template_saved", target="report template",
                 sections=template.sections, approval=template.approval_required)  # fmt: skip
    return template


@transaction.atomic
def report_client_settings_save(*, settings, actor):
    """A client's report language, and its own template (or the agency's)."""
    settings.save()
    audit_record(actor=actor, action="report.client_settings_saved", target=settings.client,
                 language=settings.language, own_template=settings.own_template)  # fmt: skip
    return settings


@transaction.atomic
def share_link_create(*, report, days, actor):
    """A signed link that opens the report without an account for ``days`` (7, 30 or 90)."""
    if days not in SHARE_DAYS:
        raise ValidationError({"days": "Choose 7, 30 or 90 days."})
    if not report.pdf or not report.is_current:
        raise ValidationError("Only a generated, current report can be shared.")
    now = timezone.now()
    link = ShareLink.objects.create(report=report, nonce=secrets.token_hex(16), created_by=actor,
                                    created_at=now, expires_at=now + timedelta(days=days))  # fmt: skip
    audit_record(actor=actor, action="report.share_link_created", target=report, days=days)
    return link


@transaction.atomic
def share_link_revoke(*, link, actor):
    if link.revoked_at is None:
        ShareLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
        audit_record(actor=actor, action="report.share_link_revoked", target=link.report)
    return link


def share_link_viewed(*, link, download=False):
    """Count one view (or download) of a share link, for the delivery log."""
    counter = "downloads" if download else "views"
    ShareLink.objects.filter(pk=link.pk).update(**{counter: F(counter) + 1}, last_viewed_at=timezone.now())

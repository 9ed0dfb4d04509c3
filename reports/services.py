"""Writes for reports: generate (render and store the PDF), schedule, approve, send."""

import logging
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from agency import events
from agency.branding.services import logo_bytes
from agency.emails import email_send
from agency.team.audit import audit_record
from clients.selectors import client_local_today
from reports.models import ALL_SECTIONS, DeliveryState, Report, ReportDelivery, ReportState
from reports.rendering import report_html, report_pdf
from reports.selectors import report_data

logger = logging.getLogger(__name__)


def report_validate_period(*, client, start, end):
    """A clear error for a period that cannot be reported on."""
    if start > end:
        raise ValidationError({"start": "The start of the period is after its end."})
    if end >= client_local_today(client=client):
        raise ValidationError({"end": "The period must have ended: its last day must be before today."})
    if (end - start).days > 3 * 366:
        raise ValidationError({"start": "A report covers at most three years."})


def report_render(*, report):
    """The PDF bytes of a report (nothing stored)."""
    data = report_data(
        client=report.client,
        location=report.location,
        start=report.start,
        end=report.end,
        sections=report.sections or ALL_SECTIONS,
    )
    agency = connection.tenant
    logo = logo_bytes(agency)
    return report_pdf(report_html(data, agency=agency, logo=logo), logo=logo)


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
    name = f"{report.client.name[:40]}-{report.start:%Y-%m-%d}-{report.end:%Y-%m-%d}.pdf"
    report.pdf.save(name.replace("/", "-"), ContentFile(pdf), save=False)
    report.generated_at = timezone.now()
    approval = report.schedule is not None and report.schedule.approval_required
    report.state = ReportState.AWAITING_APPROVAL if approval else ReportState.READY
    report.save(update_fields=["pdf", "generated_at", "state"])
    events.report_ready.send(sender=Report, report=report)
    if report.schedule is not None and not approval:
        from reports.tasks import report_send_task

        transaction.on_commit(lambda: report_send_task.delay(report.pk))
    return report


def report_request(*, client, start, end, sections=None, location=None, requested_by=None):
    """A report asked for by a person (or the API): validated, then queued for rendering."""
    from reports.tasks import report_generate_task

    report_validate_period(client=client, start=start, end=end)
    report = Report.objects.create(
        client=client, location=location, start=start, end=end,
        sections=sections or ALL_SECTIONS, requested_by=requested_by,
    )  # fmt: skip
    transaction.on_commit(lambda: report_generate_task.delay(report.pk))
    return report


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


def schedules_run(*, now=None):
    """Queue each due schedule's report once: a period already queued for a schedule is skipped."""
    from reports.models import ReportSchedule
    from reports.tasks import report_generate_task

    queued = []
    for schedule in ReportSchedule.objects.filter(active=True).select_related("client", "location"):
        period = schedule_period(schedule=schedule, today=client_local_today(client=schedule.client, now=now))
        if period is None:
            continue
        try:
            with transaction.atomic():
                report = Report.objects.create(
                    client=schedule.client, location=schedule.location, start=period[0], end=period[1],
                    sections=schedule.sections or ALL_SECTIONS, schedule=schedule,
                )  # fmt: skip
        except IntegrityError:
            continue  # this period was queued already (beat fired twice, or a retry)
        transaction.on_commit(lambda pk=report.pk: report_generate_task.delay(pk))
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


def report_approve(*, report, actor):
    from reports.tasks import report_send_task

    if report.state != ReportState.AWAITING_APPROVAL:
        raise ValidationError("Only a report waiting for approval can be released.")
    Report.objects.filter(pk=report.pk).update(state=ReportState.READY)
    audit_record(actor=actor, action="report.approved", target=report)
    transaction.on_commit(lambda: report_send_task.delay(report.pk))


def report_send(*, report_id):
    """Email a ready report to its recipients, at most once.

    A delivery row in state ``sending`` is committed before the email goes out;
    a unique constraint allows one ``sending`` or ``sent`` row per report, so a
    second worker (beat firing twice, a retry after a crash) sends nothing.
    """
    report = Report.objects.select_related("client", "schedule").get(pk=report_id)
    recipients = (report.schedule.recipients if report.schedule else []) or report.client.report_recipients
    if report.state != ReportState.READY or not recipients:
        return None
    try:
        with transaction.atomic():
            delivery = ReportDelivery.objects.create(report=report, recipients=recipients)
    except IntegrityError:
        return None
    agency = connection.tenant
    try:
        email_send(
            template="report",
            to=recipients,
            agency=agency,
            context={"report": report, "client": report.client},
            attachments=[(report.pdf.name.rsplit("/", 1)[-1], report.pdf.read(), "application/pdf")],
        )
    except Exception as exc:
        ReportDelivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.FAILED, error=str(exc)[:500])
        raise
    ReportDelivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.SENT)
    Report.objects.filter(pk=report.pk).update(state=ReportState.SENT)
    audit_record(actor=None, action="report.sent", target=report, recipients=recipients)
    return delivery

"""What the platform operator's tools need from the reports layer, through agency.events: the
storage its PDFs take (usage_measured), and the reports in an agency's export (data_exported: an
index as CSV and JSON, schedules, deliveries, and every PDF). Connected in ReportsConfig.ready()."""

import logging

from agency import events
from reports.models import Report, ReportDelivery, ReportSchedule

logger = logging.getLogger(__name__)


def _stored(reports):
    for report in reports.exclude(pdf="").iterator(chunk_size=500):
        if report.pdf.storage.exists(report.pdf.name):
            yield report


def usage(**kwargs):
    return {"report_bytes": sum(report.pdf.size for report in _stored(Report.objects.all()))}


def _rows(queryset, fields):
    return lambda: queryset.order_by("pk").values_list(*fields).iterator(chunk_size=2000)


def export(archive, **kwargs):
    fields = (
        "id",
        "client_id",
        "client__name",
        "location_id",
        "start",
        "end",
        "state",
        "language",
        "created_at",
        "generated_at",
        "pdf",
    )
    archive.table("reports", fields, _rows(Report.objects.all(), fields))
    fields = (
        "id",
        "client_id",
        "location_id",
        "frequency",
        "day",
        "recipients",
        "sections",
        "approval_required",
        "active",
        "created_at",
    )
    archive.table("report_schedules", fields, _rows(ReportSchedule.objects.all(), fields))
    fields = ("id", "report_id", "recipients", "state", "error", "attempted_at")
    archive.table("report_deliveries", fields, _rows(ReportDelivery.objects.all(), fields))
    for report in _stored(Report.objects.all()):
        with report.pdf.open("rb") as pdf:
            archive.file(f"reports/{report.pdf.name.removeprefix('reports/')}", pdf)


def connect():
    events.usage_measured.connect(usage, dispatch_uid="reports.operations.usage")
    events.data_exported.connect(export, dispatch_uid="reports.operations.export")

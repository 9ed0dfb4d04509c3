"""The reports' pages added by issue 14: a report's own page and its page images, the agency's report
template, a client's report settings, and the share links anyone with the link may open."""

from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from reports.models import Report, ReportState, ShareLink
from reports.rendering import report_pdf
from reports.selectors import share_token
from tests.access import MANAGER, MEMBER, PUBLIC

PAGES = {
    "report_detail": (MEMBER, {"pk": "report"}),
    "report_page": (MEMBER, {"pk": "report_with_pages", "page": "page_one"}),
    "report_template": (MANAGER, {}),
    "client_report_settings": (MANAGER, {"pk": "client"}),
    "shared_report": (PUBLIC, {"token": "share_token"}),
    "shared_report_page": (PUBLIC, {"token": "share_token", "page": "page_one"}),
    "shared_report_pdf": (PUBLIC, {"token": "share_token"}),
}
# POST-only actions, and the preview's page images (a token kept for the person who asked for it).
TESTED_ELSEWHERE = {
    "report_commentary", "report_send", "share_link_create", "share_link_revoke", "report_preview_page",
}  # fmt: skip


def objects(made):
    """A generated report with a real one-page PDF, and a live share link to it."""
    report = Report.objects.create(client_id=made["client"], start=date(2026, 8, 1), end=date(2026, 8, 31),
                                   state=ReportState.READY, page_count=1)  # fmt: skip
    report.pdf.save("real.pdf", ContentFile(report_pdf("<p>One page</p>")))
    link = ShareLink.objects.create(
        report=report, nonce="0" * 32, expires_at=timezone.now() + timedelta(days=7)
    )
    made.update(report_with_pages=report.pk, page_one=1, share_token=share_token(link))

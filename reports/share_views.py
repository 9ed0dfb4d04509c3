"""A report opened through a share link: no account, on the agency's own domain, in its brand.

The link is signed (reports.selectors.share_token) and checked against its row: revoked or
expired links are refused with a page that says so, in the report's language. A link of a
replaced report opens the current version. Every opening (and every PDF download) is counted
for the delivery log; page images are not counted.
"""

from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.http import require_safe

from reports import selectors, services
from reports.views import png_response


def _private(response):
    """The link is the key: never sent on to another site, never indexed, never cached by others."""
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, no-store"
    return response


def _open(request, token):
    """(link, current report) for a usable token, or a refusal page as the second item."""
    link = selectors.share_link_from_token(token)
    if link is None:
        return None, _private(
            render(request, "reports/shared_refused.html", {"reason": "invalid"}, status=404)
        )
    with translation.override(link.report.language):
        if link.revoked_at is not None or link.expires_at <= timezone.now():
            reason = "revoked" if link.revoked_at is not None else "expired"
            context = {"reason": reason, "report": link.report, "link": link}
            return None, _private(render(request, "reports/shared_refused.html", context, status=410))
    report = selectors.current_version(link.report)
    if not report.pdf:
        raise Http404("This report is being generated again: try again in a minute.")
    return link, report


@require_safe
def shared_report(request, token):
    link, report = _open(request, token)
    if link is None:
        return report
    services.share_link_viewed(link=link)
    with translation.override(report.language):
        context = {"report": report, "client": report.client, "link": link, "token": token,
                   "pages": range(1, report.page_count + 1), "language": report.language}  # fmt: skip
        return _private(render(request, "reports/shared.html", context))


@require_safe
def shared_report_page(request, token, page):
    link, report = _open(request, token)
    if link is None:
        return report
    with report.pdf.open("rb") as fh:
        return _private(png_response(fh.read(), page))


@require_safe
def shared_report_pdf(request, token):
    link, report = _open(request, token)
    if link is None:
        return report
    services.share_link_viewed(link=link, download=True)
    filename = report.pdf.name.rsplit("/", 1)[-1]
    response = FileResponse(report.pdf.open("rb"), as_attachment=True, filename=filename,
                            content_type="application/pdf")  # fmt: skip
    return _private(response)

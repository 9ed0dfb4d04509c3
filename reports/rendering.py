"""Report HTML to PDF with WeasyPrint, which may load nothing but what the report brings.

WeasyPrint's default fetcher reads ``file://`` and any URL: that is how PDF
generators leak server files or reach internal services. Here the fetcher
serves only an allow-list prepared for each render (the report's stylesheet
and fonts, the agency's logo) under a private scheme, and refuses everything
else: no network, no local files, no redirects.
"""

import logging
import mimetypes
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from clients import charts
from reports.wording import summary_sentences

logger = logging.getLogger(__name__)

ASSET_SCHEME = "report-asset:"
ASSETS_DIR = Path(settings.BASE_DIR) / "static" / "reports"
ASSET_FILES = ("report.css", "fonts/DejaVuSans.ttf", "fonts/DejaVuSans-Bold.ttf")


class ReportAssetRefused(ValueError):
    pass


class AllowListFetcher(URLFetcher):
    def __init__(self, resources):
        super().__init__(allowed_protocols=(), allow_redirects=False)
        self.resources = resources

    def fetch(self, url, headers=None):
        try:
            body, mime_type = self.resources[url]
        except KeyError:
            logger.warning("a report tried to load %s; refused", url[:200])
            raise ReportAssetRefused(f"reports may not load {url[:200]}") from None
        return URLFetcherResponse(url, body, headers={"Content-Type": mime_type})


@lru_cache(maxsize=1)
def _static_assets():
    return {
        f"{ASSET_SCHEME}{name}": (
            (ASSETS_DIR / name).read_bytes(),
            mimetypes.guess_type(name)[0] or "font/ttf",
        )
        for name in ASSET_FILES
    }


DRIVER_GROUPS = (("Locations", "locations"), ("Sources", "sources"), ("Themes", "themes"))


def report_html(data, *, agency, logo=None, preview=False):
    """The report as HTML: for the PDF (``logo``: its (bytes, mime type) or None), or the preview page."""
    drivers = data.get("drivers") or {}
    for row in data["locations"]:
        row["average"] = row["rating_sum"] / row["count"] if row["count"] else None
    context = {
        **data,
        "agency": agency,
        "brand_color": agency.brand_primary,
        "footer_text": agency.report_footer,
        "contact": agency.contact_line,
        "summary": summary_sentences(data),
        "charts": charts.dashboard_charts(
            series=data["series"],
            bucket=data["period"].bucket,
            current=data["now"],
            themes=(data.get("themes") or {}).get("top", []),
            sources=data["sources"],
            locations=data["locations"],
        ),
        "driver_groups": [(label, drivers[key]) for label, key in DRIVER_GROUPS if key in drivers],
        "has_logo": bool(agency.logo) if preview else logo is not None,
        "asset_base": settings.STATIC_URL + "reports/" if preview else ASSET_SCHEME,
        "logo_url": reverse("brand_logo") if preview else f"{ASSET_SCHEME}logo",
    }
    return render_to_string("reports/report.html", context)


def report_pdf(html, *, logo=None):
    resources = dict(_static_assets())
    if logo is not None:
        resources[f"{ASSET_SCHEME}logo"] = logo
    return HTML(string=html, base_url=ASSET_SCHEME, url_fetcher=AllowListFetcher(resources)).write_pdf()

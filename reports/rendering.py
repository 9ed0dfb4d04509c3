"""Report HTML to PDF with WeasyPrint, which may load nothing but what the report brings; PDF pages
to PNG for the preview.

WeasyPrint's default fetcher reads ``file://`` and any URL: that is how PDF
generators leak server files or reach internal services. Here the fetcher
serves only an allow-list prepared for each render (the report's stylesheet,
the agency's logo) under a private scheme, and refuses everything else: no
network, no local files, no redirects.

Fonts are the system's (Debian's fonts-noto-core and fonts-noto-cjk, installed by the
project's install step), found by family name through fontconfig: Noto Sans for Latin, Greek and
Cyrillic, Noto Sans Arabic and Hebrew (right to left), Noto Sans CJK for Japanese, Chinese and
Korean. WeasyPrint embeds only the glyphs a report uses (fonttools subsetting).
"""

import io
import logging
import mimetypes
import threading
from functools import lru_cache
from pathlib import Path

import pypdfium2
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from clients.sources import source_name
from reports import charts, figures, i18n
from reports.markdown import markdown_html
from reports.models import Section
from reports.wording import summary_sentences

logger = logging.getLogger(__name__)

ASSET_SCHEME = "report-asset:"
ASSETS_DIR = Path(settings.BASE_DIR) / "static" / "reports"
ASSET_FILES = ("report.css",)
PREVIEW_WIDTH = 1000  # pixels of a page image in the preview
_pdfium_lock = threading.Lock()  # PDFium is not thread-safe


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
            mimetypes.guess_type(name)[0] or "text/css",
        )
        for name in ASSET_FILES
    }


def _label_drivers(drivers):
    if not drivers:
        return []
    groups = []
    for key, title, name in (
        ("locations", translation.gettext("Locations"), lambda value: value),
        ("sources", translation.gettext("Sources"), source_name),
        ("themes", translation.gettext("Themes"), i18n.theme_name),
    ):
        if key not in drivers:
            continue
        for row in drivers[key]:
            row["label"] = name(row["name"])
        groups.append({"title": title, "rows": drivers[key], "unnamed": drivers.get(f"{key}_unnamed", 0)})
    return groups


def _comments(rows):
    for row in rows:
        row["dir"] = i18n.direction(row["comment"])
        row["lang"] = i18n.script_lang(row["comment"])
    return rows


def _rating_mix(now, before):
    def share(stats, stars):
        return stats["rating_distribution"].get(stars, 0) / stats["count"] if stats["count"] else None

    return [
        {"stars": stars, "now": now["rating_distribution"].get(stars, 0), "now_share": share(now, stars),
         "before": before["rating_distribution"].get(stars, 0), "before_share": share(before, stars)}
        for stars in range(5, 0, -1)
    ]  # fmt: skip


def _sections(data, commentary):
    """The sections to print, in order: commentary, when written, right after the summary."""
    order = [s for s in data["sections"] if s != Section.COMMENTARY or commentary]
    if commentary and Section.COMMENTARY not in order:
        at = order.index(Section.SUMMARY) + 1 if Section.SUMMARY in order else 0
        order.insert(at, Section.COMMENTARY)
    shown = []
    for section in order:
        if section == Section.THEMES and not data.get("themes"):
            continue
        if section == Section.LOCATIONS and len(data["locations"]) < 2:
            continue
        if section == Section.DRIVERS and not data.get("drivers"):
            continue
        shown.append({"key": section, "title": Section(section).label})
    return shown


def report_html(data, *, agency, template, commentary="", logo=None):
    """The report as HTML for WeasyPrint, in the active language (``logo``: (bytes, mime) or None).

    ``template``: the sections' order and the agency's introduction and closing
    (reports.selectors.effective_template).
    """
    for row in data["locations"]:
        row["average"] = row["rating_sum"] / row["count"] if row["count"] else None
        row["negative_share"] = row["negative"] / row["rated"] if row["rated"] else None
    for row in data["sources"]:
        row["average"] = row["rating_sum"] / row["count"] if row["count"] else None
    driver_groups = _label_drivers(data.get("drivers"))
    context = {
        **data,
        "agency": agency,
        "language": translation.get_language(),
        "brand_color": agency.brand_primary,
        "accent_color": agency.brand_accent,
        "footer_text": agency.report_footer,
        "contact": agency.contact_line,
        "summary": summary_sentences(data),
        "charts": charts.report_charts(data, brand=agency.brand_primary, accent=agency.brand_accent),
        "driver_groups": driver_groups,
        "best_comments": _comments(data.get("best_comments", [])),
        "worst_comments": _comments(data.get("worst_comments", [])),
        "shown_sections": _sections(data, commentary),
        "rating_mix": _rating_mix(data["now"], data["before"]),
        "comment_rule": figures.COMMENT_RULE % {"chars": figures.COMMENT_MIN_CHARS},
        "introduction": markdown_html(template.get("introduction", "")),
        "closing": markdown_html(template.get("closing", "")),
        "commentary": markdown_html(commentary),
        "has_logo": logo is not None,
        "asset_base": ASSET_SCHEME,
        "logo_url": f"{ASSET_SCHEME}logo",
    }
    return render_to_string("reports/report.html", context)


def report_pdf(html, *, logo=None):
    resources = dict(_static_assets())
    if logo is not None:
        resources[f"{ASSET_SCHEME}logo"] = logo
    return HTML(string=html, base_url=ASSET_SCHEME, url_fetcher=AllowListFetcher(resources)).write_pdf()


def pdf_page_count(pdf):
    with _pdfium_lock:
        document = pypdfium2.PdfDocument(pdf)
        try:
            return len(document)
        finally:
            document.close()


def pdf_page_png(pdf, index, *, width=PREVIEW_WIDTH):
    """One page of a PDF as PNG bytes, ``width`` pixels wide; IndexError past the last page."""
    with _pdfium_lock:
        document = pypdfium2.PdfDocument(pdf)
        try:
            if not 0 <= index < len(document):
                raise IndexError(index)
            page = document[index]
            bitmap = page.render(scale=width / page.get_width())
            image = bitmap.to_pil()
        finally:
            document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()

"""WeasyPrint may load the report's own assets and nothing else: no files, no network."""

import logging

import pypdfium2
import pytest

from reports.rendering import ASSET_SCHEME, AllowListFetcher, ReportAssetRefused, report_pdf
from tests.reports.pdfs import fonts_of_text

ATTACKS = [
    "file:///etc/passwd",
    "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1:5432/",
    "https://example.com/logo.png",
    "report-asset:../../agency/settings.py",
    "data:text/plain,hello",
]


@pytest.mark.parametrize("url", ATTACKS)
def test_the_fetcher_refuses_everything_but_the_allow_list(url):
    fetcher = AllowListFetcher({f"{ASSET_SCHEME}report.css": (b"body {}", "text/css")})

    with pytest.raises(ReportAssetRefused):
        fetcher.fetch(url)


def test_a_report_that_points_elsewhere_renders_without_it(caplog):
    html = (
        "".join(
            f'<img src="{url}"><link rel="stylesheet" href="{url}"><iframe src="{url}"></iframe>'
            for url in ATTACKS
        )
        + "<p>Body text</p><p style=\"background: url('file:///etc/hostname')\">x</p>"
    )

    with caplog.at_level(logging.WARNING, logger="reports.rendering"):
        pdf = report_pdf(html)

    text = pypdfium2.PdfDocument(pdf)[0].get_textpage().get_text_range()
    assert "Body text" in text
    assert "root:" not in text
    assert "refused" in caplog.text


def test_the_report_stylesheet_loads_and_fonts_come_from_the_system(caplog, monkeypatch):
    fetched = []
    real_fetch = AllowListFetcher.fetch
    monkeypatch.setattr(AllowListFetcher, "fetch", lambda self, url, headers=None: (
        fetched.append(url) or real_fetch(self, url, headers)))  # fmt: skip

    pdf = report_pdf('<link rel="stylesheet" href="report-asset:report.css"><h1>Heading</h1>')

    assert pdf.startswith(b"%PDF")
    assert "refused" not in caplog.text
    assert fetched == ["report-asset:report.css"]  # fonts: the system's Noto families, by name
    fonts = {name.split("+")[-1] for name, _embedded, _data in fonts_of_text(pdf, "Heading")}
    assert fonts == {"Noto-Sans-Bold"}  # subset: "ABCDEF+" before the name

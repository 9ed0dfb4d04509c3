"""Reading a report's PDF as a reader would: its text, where words sit, its fonts, how full its pages are.

Shared by the report tests; pypdfium2 (PDFium) reads the PDF.
"""

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pypdfium2
import pypdfium2.raw as pdfium
from fontTools.cffLib import CFFFontSet
from fontTools.ttLib import TTFont

from clients.models import Sentiment, Status
from tests.factories import FeedbackFactory

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "report"


def pdf_text(pdf_bytes, pages=None):
    """The text of the PDF (or of some pages), one space between words whatever the layout."""
    document = pypdfium2.PdfDocument(pdf_bytes)
    indexes = range(len(document)) if pages is None else pages
    text = " ".join(document[i].get_textpage().get_text_range() for i in indexes)
    return " ".join(text.split())


def page_texts(pdf_bytes):
    document = pypdfium2.PdfDocument(pdf_bytes)
    return [" ".join(document[i].get_textpage().get_text_range().split()) for i in range(len(document))]


def word_positions(pdf_bytes, word):
    """(page, x of its middle) of each occurrence of ``word``: where a reader sees it."""
    document = pypdfium2.PdfDocument(pdf_bytes)
    found = []
    for index in range(len(document)):
        textpage = document[index].get_textpage()
        searcher = textpage.search(word, match_case=True, match_whole_word=False)
        while (hit := searcher.get_next()) is not None:
            left = textpage.get_charbox(hit[0])[0]
            right = textpage.get_charbox(hit[0] + hit[1] - 1)[2]
            found.append((index, (left + right) / 2))
    return found


def fonts_of_text(pdf_bytes, text):
    """For each character of ``text`` where it appears in the PDF: (font name, embedded, font data)."""
    document = pypdfium2.PdfDocument(pdf_bytes)
    for index in range(len(document)):
        textpage = document[index].get_textpage()
        searcher = textpage.search(text, match_case=True)
        hit = searcher.get_next()
        if hit is None:
            continue
        out = []
        for char_index in range(hit[0], hit[0] + hit[1]):
            text_object = pdfium.FPDFText_GetTextObject(textpage.raw, char_index)
            font = pdfium.FPDFTextObj_GetFont(text_object)
            out.append((_font_name(font), bool(pdfium.FPDFFont_GetIsEmbedded(font)), _font_data(font)))
        return out
    raise AssertionError(f"{text!r} is not in the PDF")


def _font_name(font):
    size = pdfium.FPDFFont_GetBaseFontName(font, None, 0)
    buffer = (pdfium.c_char * size)()
    pdfium.FPDFFont_GetBaseFontName(font, buffer, size)
    return buffer.value.decode()


def _font_data(font):
    length = pdfium.c_size_t()
    pdfium.FPDFFont_GetFontData(font, None, 0, length)
    buffer = (pdfium.c_uint8 * length.value)()
    pdfium.FPDFFont_GetFontData(font, buffer, length.value, length)
    return bytes(buffer)


def glyph_count(font_data):
    """How many glyphs an embedded font program holds (TrueType/OpenType, or bare CFF)."""
    if font_data[:4] in (b"\x00\x01\x00\x00", b"OTTO", b"true"):
        return len(TTFont(io.BytesIO(font_data)).getGlyphOrder())
    cff = CFFFontSet()
    cff.decompile(io.BytesIO(font_data), None)
    return len(cff[cff.fontNames[0]].CharStrings)


def empty_bottom_share(pdf_bytes, index):
    """The share of a page's height left empty below its last drawing (the running footer aside)."""
    document = pypdfium2.PdfDocument(pdf_bytes)
    page = document[index]
    height = page.get_height()
    footer_top = 18 / 25.4 * 72  # the bottom margin, where the footer runs
    lowest = height
    for obj in page.get_objects(max_depth=3):
        _left, bottom, _right, _top = obj.get_bounds()
        if bottom > footer_top:
            lowest = min(lowest, bottom)
    return (lowest - footer_top) / (height - footer_top - 16 / 25.4 * 72)


def keep_pdf(name, pdf_bytes, *, scale=1.4):
    """Keep a PDF and its pages as PNG in artifacts/report/, for people to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.pdf").write_bytes(pdf_bytes)
    document = pypdfium2.PdfDocument(pdf_bytes)
    for i in range(len(document)):
        document[i].render(scale=scale).to_pil().save(ARTIFACTS / f"{name}-page-{i + 1}.png")
    return len(document)


def at(day, hour=12):
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def make_items(location, first_day, ratings, *, days=28, status=None, **fields):
    """One feedback item per rating, spread over ``days`` days from ``first_day``."""
    items = []
    for i, rating in enumerate(ratings):
        sentiment = (
            Sentiment.POSITIVE if rating >= 4 else Sentiment.NEUTRAL if rating == 3 else Sentiment.NEGATIVE
        )
        items.append(FeedbackFactory(
            location=location, created_at=at(first_day + timedelta(days=i % days)), rating=rating,
            sentiment=sentiment, status=status or (Status.RESOLVED if i % 3 == 0 else Status.NEW), **fields,
        ))  # fmt: skip
    return items

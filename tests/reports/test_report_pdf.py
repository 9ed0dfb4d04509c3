"""The PDF says what the stored feedback says: KPIs recomputed here from the rows themselves."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pypdfium2
import pytest
import time_machine

from clients.models import Sentiment, Status
from reports.models import ALL_SECTIONS, Report
from reports.services import report_render
from tests.factories import FeedbackFactory, LocationFactory, rollup

TODAY = datetime(2026, 10, 5, 9, tzinfo=UTC)
START, END = date(2026, 9, 1), date(2026, 9, 30)
HTML_COMMENT = "<script>alert('pwned')</script> <b>Great</b> service, truly wonderful"
FORMULA_COMMENT = '=HYPERLINK("http://evil.example","click") awful wait, never again'


def pdf_text(pdf_bytes):
    document = pypdfium2.PdfDocument(pdf_bytes)
    text = " ".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    return " ".join(text.split())  # one space between words, whatever the layout


def at(day, hour=12):
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def make_items(location, first_day, ratings, **fields):
    items = []
    for i, rating in enumerate(ratings):
        sentiment = (
            Sentiment.POSITIVE if rating >= 4 else Sentiment.NEUTRAL if rating == 3 else Sentiment.NEGATIVE
        )
        items.append(FeedbackFactory(
            location=location, created_at=at(first_day + timedelta(days=i % 28)), rating=rating,
            sentiment=sentiment, status=Status.RESOLVED if i % 3 == 0 else Status.NEW, **fields,
        ))  # fmt: skip
    return items


def render(client, location=None):
    with time_machine.travel(TODAY, tick=False):
        report = Report(client=client, location=location, start=START, end=END, sections=ALL_SECTIONS)
        return pdf_text(report_render(report=report))


@pytest.fixture
def location(agency):
    return LocationFactory(client__name="Bistro Verde", client__timezone="UTC", name="Main Street")


def test_kpis_equal_the_stored_feedback(location):
    current = make_items(location, START, [5, 5, 4, 4, 5, 3, 5, 4, 5, 5] * 5)
    previous = make_items(location, START - timedelta(days=30), [2, 3, 1, 4, 2, 3, 2, 5, 1, 3] * 5)
    rollup(location.client)

    text = render(location.client)

    average = sum(i.rating for i in current) / len(current)
    before = sum(i.rating for i in previous) / len(previous)
    negative = sum(i.sentiment == Sentiment.NEGATIVE for i in current) / len(current)
    resolved = sum(i.status == Status.RESOLVED for i in current) / len(current)
    assert f"{average:.2f}★ n={len(current)}" in text
    assert f"{before:.2f}★ n={len(previous)}" in text
    assert f"{average - before:+.2f} significant" in text
    assert f"Negative share {negative:.0%}" in text
    assert f"Resolved share {resolved:.0%}" in text
    assert f"The average rating rose from {before:.2f} to {average:.2f}" in text
    assert "a statistically significant change" in text


def test_a_small_change_on_few_reviews_is_labelled_noise(location):
    make_items(location, START, [5, 5, 4, 3, 5, 4])
    make_items(location, START - timedelta(days=30), [5, 5, 5, 4, 5, 4])
    rollup(location.client)

    text = render(location.client)

    assert "not significant" in text
    assert "within normal variation (not statistically significant)" in text
    assert "a statistically significant change" not in text


def test_comments_are_literal_text_and_long_ones_are_cut(location):
    make_items(location, START, [5], comment=HTML_COMMENT, sentiment_score=0.99)
    make_items(location, START, [1], comment=FORMULA_COMMENT, sentiment_score=-0.99)
    make_items(location, START, [5], comment="Wonderful " * 60, sentiment_score=0.5)
    rollup(location.client)

    text = " ".join(render(location.client).split())

    assert "<script>alert('pwned')</script> <b>Great</" in text
    assert '=HYPERLINK("http://evil.example","click") awful wait' in text
    assert "Wonderful Wonderful" in text
    assert ("Wonderful " * 40) not in text
    assert "…" in text


def test_white_label_agency_name_and_never_the_portal(location):
    make_items(location, START, [4, 5])
    rollup(location.client)

    text = render(location.client)

    assert "Prepared by Alpha Agency" in text
    assert "Reputation Portal" not in text
    assert "Bistro Verde" in text


def test_a_period_without_feedback_renders_a_short_report(location):
    text = render(location.client)

    assert "No feedback was received between September 1, 2026 and September 30, 2026." in text
    assert "— n=0" in text


ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "report"


def test_a_sample_report_is_kept_as_png_pages(agency):
    """A realistic report (two locations, themes, comments) rendered to PNG pages for people to look at."""
    north = LocationFactory(
        client__name="Lakeside Hospitality", client__timezone="UTC", name="Hotel Seeblick"
    )
    south = LocationFactory(client=north.client, name="Salon Lumière")
    themes = [["service"], ["wait time"], ["price", "service"], ["cleanliness"], ["staff", "wait time"]]
    for loc, ratings in ((north, [5, 4, 5, 3, 5, 4, 2, 5, 4, 5]), (south, [3, 2, 4, 1, 3, 2, 4, 3, 5, 2])):
        for month_start in (START - timedelta(days=30), START):
            for i, base in enumerate(ratings * 3):
                rating = max(1, base - 1) if (loc, month_start, i % 5) == (south, START, 1) else base
                praise = "lovely stay, friendly staff" if rating > 3 else "slow service"
                detail = "clean rooms" if i % 2 else "a long wait at check-in"
                make_items(loc, month_start + timedelta(days=i % 28), [rating], themes=themes[i % 5],
                           source=("widget", "pos_integration", "phone")[i % 3],
                           comment=f"Visit {i}: {praise} and {detail}.")  # fmt: skip
    rollup(north.client)

    with time_machine.travel(TODAY, tick=False):
        report = Report(client=north.client, start=START, end=END, sections=ALL_SECTIONS)
        pdf = report_render(report=report)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "sample-report.pdf").write_bytes(pdf)
    document = pypdfium2.PdfDocument(pdf)
    for i in range(len(document)):
        document[i].render(scale=1.5).to_pil().save(ARTIFACTS / f"sample-report-page-{i + 1}.png")
    assert len(document) >= 4
    text = pdf_text(pdf)
    assert "Locations compared" in text and "What drove the change" in text

"""The PDF says what the stored feedback says, and says nothing it cannot stand behind.

Figures are recomputed here from the rows themselves (or taken from clients.stats, as the
dashboard shows them) and looked for in the PDF's text, as a reader would find them.
"""

from datetime import date, timedelta

import pytest
import time_machine

from clients import stats
from clients.models import Sentiment, Status
from clients.periods import Period
from reports.models import ALL_SECTIONS, Report
from reports.services import report_render
from tests.factories import LocationFactory, rollup
from tests.reports.pdfs import at, empty_bottom_share, make_items, page_texts, pdf_text, word_positions

TODAY = at(date(2026, 10, 5), 9)
START, END = date(2026, 9, 1), date(2026, 9, 30)
HTML_COMMENT = "<script>alert('pwned')</script> <b>Great</b> service, truly wonderful, we will be back"
FORMULA_COMMENT = '=HYPERLINK("http://evil.example","click") awful wait, never again, cold food too'


def render_pdf(client, location=None, start=START, end=END, sections=ALL_SECTIONS, **fields):
    with time_machine.travel(TODAY, tick=False):
        report = Report(client=client, location=location, start=start, end=end, sections=sections, **fields)
        return report_render(report=report)


def render(client, **kwargs):
    return pdf_text(render_pdf(client, **kwargs))


@pytest.fixture
def location(agency):
    return LocationFactory(client__name="Bistro Verde", client__timezone="UTC", name="Main Street")


def test_cover_figures_equal_the_stats_module(location):
    make_items(location, START, [5, 5, 4, 4, 5, 3, 5, 4, 2, 1] * 6)
    make_items(location, START - timedelta(days=30), [5, 4, 3, 4, 2, 3, 2, 5, 1, 3] * 5)
    rollup(location.client)

    cover = page_texts(render_pdf(location.client))[0]

    period = Period("custom", START, END + timedelta(days=1))
    now = stats.period_stats(
        client_id=location.client_id, start=period.bounds("UTC")[0], end=period.bounds("UTC")[1]
    )
    before_bounds = period.previous().bounds("UTC")
    before = stats.period_stats(client_id=location.client_id, start=before_bounds[0], end=before_bounds[1])
    assert f"AVERAGE RATING {now['average_rating']:.2f} ★ n = {now['count']}" in cover
    assert f"{now['average_rating'] - before['average_rating']:+.2f} vs. previous period" in cover
    assert f"REVIEWS {now['count']} previous period: {before['count']}" in cover
    change = now["count"] - before["count"]
    assert f"+{change} (+{change / before['count']:.0%}) vs. previous period" in cover
    negative_points = (now["negative_share"] - before["negative_share"]) * 100
    assert f"NEGATIVE FEEDBACK {now['negative_share']:.0%}" in cover
    assert f"{negative_points:+.0f} pts vs. previous period".replace("-", "−") in cover
    assert "Prepared by Alpha Agency" in cover


def test_key_figures_equal_the_stored_feedback(location):
    current = make_items(location, START, [5, 5, 4, 4, 5, 3, 5, 4, 5, 5] * 5)
    previous = make_items(location, START - timedelta(days=30), [2, 3, 1, 4, 2, 3, 2, 5, 1, 3] * 5)
    rollup(location.client)

    text = render(location.client)

    average = sum(i.rating for i in current) / len(current)
    before = sum(i.rating for i in previous) / len(previous)
    negative = sum(i.sentiment == Sentiment.NEGATIVE for i in current) / len(current)
    resolved = sum(i.status == Status.RESOLVED for i in current) / len(current)
    assert f"{average:.2f} ★ n={len(current)}" in text
    assert f"{before:.2f} ★ n={len(previous)}" in text
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


def test_a_driver_with_fewer_than_ten_reviews_is_not_named(location):
    # "check-in" sinks the rating on 2 reviews this period (3 before): too few to name it.
    make_items(location, START, [5, 4, 5, 4, 5] * 4, themes=["breakfast"])
    make_items(location, START - timedelta(days=30), [4, 3, 4, 3, 4] * 4, themes=["breakfast"])
    make_items(location, START, [1, 1], themes=["check-in"])
    make_items(location, START - timedelta(days=30), [5, 5, 5], themes=["check-in"])
    rollup(location.client)

    text = render(location.client)

    drivers = text.rsplit("What drove the change", 1)[1]
    assert "Breakfast" in drivers and "n=20 / 20" in drivers
    assert "Check-in" not in drivers
    assert "largest single driver: Check-in" not in text
    assert "named only with at least 10 reviews in both periods" in drivers
    assert "too little feedback to say whether it changed" in text  # the theme list says so too


def test_the_time_axis_is_continuous_with_empty_days_as_gaps(location):
    # Feedback on September 1-4 and 14-15 only: the 9 empty days between must take their room.
    for day in (1, 2, 3, 4, 14, 15):
        make_items(location, date(2026, 9, day), [4, 5, 3], days=1)
    rollup(location.client)

    pdf = render_pdf(location.client)
    text = pdf_text(pdf)

    assert "24 days without feedback are gaps." in text
    ticks = {label: word_positions(pdf, label) for label in ("Sep 1", "Sep 8", "Sep 15", "Sep 22", "Sep 29")}
    assert all(ticks.values()), ticks
    page = ticks["Sep 8"][0][0]
    xs = [next(x for p, x in found if p == page) for found in ticks.values()]
    steps = [b - a for a, b in zip(xs, xs[1:], strict=False)]
    assert max(steps) - min(steps) < 2, steps  # a week is a week wherever it falls


def test_a_long_period_is_drawn_by_week(location):
    make_items(location, date(2026, 7, 1), [4, 5, 3, 5] * 20, days=80)
    rollup(location.client)

    text = render(location.client, start=date(2026, 7, 1), end=END)

    assert "Each bar is one week (weeks start on Monday)." in text


def test_sources_have_readable_names(location):
    make_items(location, START, [5, 4], source="pos_integration")
    make_items(location, START, [4], source="qr_code")
    make_items(location, START, [3], source="lobby_tablet_v2")
    rollup(location.client)

    text = render(location.client)

    assert "Point of sale" in text and "QR code" in text and "Lobby tablet v2" in text
    assert "pos_integration" not in text and "qr_code" not in text


def test_comments_are_literal_text_and_long_ones_are_cut(location):
    make_items(location, START, [5], comment=HTML_COMMENT, sentiment_score=0.99)
    make_items(location, START, [1], comment=FORMULA_COMMENT, sentiment_score=-0.99)
    make_items(location, START, [5], comment="Wonderful " * 60, sentiment_score=0.5)
    rollup(location.client)

    text = render(location.client)

    assert "<script>alert('pwned')</script> <b>Great</" in text
    assert '=HYPERLINK("http://evil.example","click") awful wait' in text
    assert "Wonderful Wonderful" in text
    assert ("Wonderful " * 40) not in text
    assert "…" in text


def test_notable_comments_follow_the_documented_rule(location):
    other = LocationFactory(client=location.client, name="Harbour")
    specific = "The breakfast was generous and the staff remembered our names every single morning."
    make_items(location, START, [5], comment="Great!", themes=["service"])  # too short to quote
    make_items(location, START, [5, 5], comment=specific, themes=["breakfast", "staff"])  # the same twice
    make_items(location, START, [4], comment="Nice enough place overall, we enjoyed the stay there.")
    make_items(other, START, [5], comment="Lovely harbour view from the terrace, and a quiet room too.")
    rollup(location.client)

    text = render(location.client)

    praise = text.rsplit("Notable comments", 1)[1].split("Criticism")[0]
    assert "Great!" not in praise
    assert praise.count(specific) == 1
    assert "Lovely harbour view" in praise
    assert "Nice enough place" not in praise  # one per location: Main Street's best is quoted already
    assert "How these were chosen: comments of at least 40 characters" in text


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


def test_the_agency_s_words_are_printed_and_escaped(location):
    from reports.models import ReportTemplate

    make_items(location, START, [4, 5, 5])
    rollup(location.client)
    ReportTemplate.objects.create(sections=["kpis", "summary"], introduction="Dear **Bistro Verde** team,",
                                  closing="See you next month.")  # fmt: skip
    commentary = "What we did:\n\n- answered every review\n- <script>alert(1)</script> [x](javascript:y)"

    text = render(location.client, commentary=commentary, sections=[])  # the template's

    assert text.index("Key figures") < text.index("Executive summary") < text.index("Our commentary")
    assert "Dear Bistro Verde team," in text and "See you next month." in text
    assert "answered every review <script>alert(1)</script> [x](javascript:y)" in text
    assert "Ratings and volume over time" not in text  # left out of the template


def test_no_page_but_the_cover_is_more_than_a_third_empty(location):
    other = LocationFactory(client=location.client, name="Harbour")
    for loc in (location, other):
        for first in (START - timedelta(days=30), START):
            make_items(loc, first, [5, 4, 2, 5, 3, 4, 1, 5, 4, 4] * 3, themes=["service", "price"],
                       comment="A long enough comment about the service and the prices we paid.")  # fmt: skip
    rollup(location.client)

    pdf = render_pdf(location.client)

    pages = len(page_texts(pdf))
    assert pages >= 3
    empty = {i + 1: round(empty_bottom_share(pdf, i), 2) for i in range(1, pages - 1)}
    assert all(share <= 1 / 3 for share in empty.values()), empty

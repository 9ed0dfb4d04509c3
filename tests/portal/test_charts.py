"""The server-side SVG charts: plain SVG, user text escaped, an empty state."""

import pytest

from clients import charts

CHARTS = [
    lambda: charts.volume_rating_chart(labels=["Mar 1", "Mar 2"], counts=[3, 0], ratings=[4.5, None]),
    lambda: charts.sentiment_chart(labels=["<a>"], positive=[1], neutral=[2], negative=[3]),
    lambda: charts.rating_distribution_chart(distribution={1: 2, 5: 7}),
    lambda: charts.themes_chart(
        themes=[{"value": "<script>x</script>", "positive": 1, "neutral": 0, "negative": 2}]
    ),
    lambda: charts.sources_chart(sources=[{"value": "", "count": 4}, {"value": "qr & co", "count": 2}]),
    lambda: charts.locations_chart(locations=[{"name": "Main", "count": 4, "rating_sum": 17}]),
]


@pytest.mark.parametrize("make", CHARTS)
def test_charts_are_plain_svg_with_escaped_text(make):
    svg = str(make())

    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert "<script" not in svg and "href" not in svg and "@import" not in svg
    assert "<rect" in svg


def test_user_text_is_escaped():
    svg = str(CHARTS[3]())

    assert "&lt;script&gt;x&lt;/script&gt;" in svg


def test_empty_period_says_so():
    svg = str(charts.volume_rating_chart(labels=[], counts=[], ratings=[]))

    assert "No feedback in this period" in svg

"""Trend charts of a period (volume and rating, sentiment) for the portal's pages, in two sizes: wide
for desktops, and narrow for phones, where the wide one would shrink its labels to a few pixels."""

from clients import charts

PHONE = {"width": 360, "height": 240}


def trend_charts(*, series, bucket, **size):
    """{"volume", "sentiment"}: SVG charts of ``series`` (rows with bucket, count, rating_sum,
    positive, neutral, negative) by ``bucket`` ("day", "week" or "month"); ``size``: width, height."""
    # The dashboards' own label format (private in clients.charts, whose owner may make it public).
    labels = [charts._bucket_label(row["bucket"], bucket) for row in series]
    return {
        "volume": charts.volume_rating_chart(
            labels=labels,
            counts=[row["count"] for row in series],
            ratings=[row["rating_sum"] / row["count"] if row["count"] else None for row in series],
            **size,
        ),
        "sentiment": charts.sentiment_chart(
            labels=labels,
            positive=[row["positive"] for row in series],
            neutral=[row["neutral"] for row in series],
            negative=[row["negative"] for row in series],
            **size,
        ),
    }


def phone_charts(*, series, bucket):
    """The narrow versions, keyed "volume_phone" and "sentiment_phone"."""
    return {
        f"{name}_phone": chart for name, chart in trend_charts(series=series, bucket=bucket, **PHONE).items()
    }

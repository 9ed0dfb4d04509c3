"""Server-side SVG charts for the portal's pages and the PDF reports.

Plain SVG 1.1: no scripts, no external fonts or images (generic font families
only), so the same markup renders in a browser without JavaScript and in
WeasyPrint. Every text that may come from users (themes, sources, location
names) is escaped here; the returned markup is safe to insert as is.
"""

import math

from django.utils.html import escape
from django.utils.safestring import mark_safe

from clients.sources import source_name

COLORS = {
    "primary": "#3b5bdb",
    "rating": "#e8590c",
    "positive": "#2b8a3e",
    "neutral": "#868e96",
    "negative": "#c92a2a",
    "grid": "#e3e7ee",
    "ink": "#1c2230",
    "muted": "#5b6475",
}
SENTIMENT_SERIES = (("positive", "Positive"), ("neutral", "Neutral"), ("negative", "Negative"))
FONT = 'font-family="Helvetica, Arial, sans-serif"'


def _num(value):
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(width, height, title, body):
    title = escape(title)
    return mark_safe(  # noqa: S308 - every user-supplied text in ``body`` went through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{title}" class="chart" {FONT} font-size="11">'
        f"<title>{title}</title>{''.join(body)}</svg>"
    )


def _text(x, y, text, *, anchor="start", color=COLORS["muted"], size=11, weight="normal"):
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" text-anchor="{anchor}" fill="{color}" font-size="{size}" '
        f'font-weight="{weight}">{escape(text)}</text>'
    )


def _rect(x, y, w, h, color, tip=""):
    tip = f"<title>{escape(tip)}</title>" if tip else ""
    size = f'width="{_num(max(w, 0))}" height="{_num(max(h, 0))}"'
    return f'<rect x="{_num(x)}" y="{_num(y)}" {size} fill="{color}">{tip}</rect>'


def _gridline(x1, x2, y):
    return f'<line x1="{_num(x1)}" x2="{_num(x2)}" y1="{_num(y)}" y2="{_num(y)}" stroke="{COLORS["grid"]}"/>'


def _nice_max(value):
    """A round axis maximum at least ``value``, divisible into four round steps."""
    raw = max(value, 4) / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    # Whole steps (counts): 2.5 only from 25 up.
    steps = (1, 2, 2.5, 5, 10) if magnitude >= 10 else (1, 2, 3, 5, 10)
    step = next(m * magnitude for m in steps if m * magnitude >= raw)
    return step * 4


def _legend(x, y, entries):
    body = []
    for name, color in entries:
        body.append(_rect(x, y - 9, 10, 10, color))
        body.append(_text(x + 14, y, name))
        x += 24 + 7 * len(name)
    return body


def _label_every(count, room):
    return max(1, -(-count // max(1, room)))


def _empty(width, title):
    """A short strip saying there is nothing to draw."""
    return _svg(width, 40, title, [_text(width / 2, 24, "No feedback in this period", anchor="middle")])


def volume_rating_chart(*, labels, counts, ratings, title="Volume and average rating", width=720, height=260):
    """Bars of the count per bucket (left axis) and a line of the average rating (right axis, 1–5)."""
    if not labels or not any(counts):
        return _empty(width, title)
    left, right, top, bottom = 44, 40, 24, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    top_count = _nice_max(max(counts))
    step = plot_w / len(labels)
    body = _legend(left, 14, [("Feedback", COLORS["primary"]), ("Average rating", COLORS["rating"])])
    for i in range(5):
        y = top + plot_h * i / 4
        body.append(_gridline(left, left + plot_w, y))
        body.append(_text(left - 6, y + 4, _num(top_count * (4 - i) / 4), anchor="end"))
        body.append(_text(left + plot_w + 6, y + 4, _num(5 - i), color=COLORS["rating"]))
    every = _label_every(len(labels), plot_w // 60)
    points = []
    for i, (label, count, rating) in enumerate(zip(labels, counts, ratings, strict=True)):
        h = plot_h * count / top_count
        x = left + i * step
        body.append(
            _rect(x + step * 0.15, top + plot_h - h, step * 0.7, h, COLORS["primary"], f"{label}: {count}")
        )
        if rating is not None:
            points.append(f"{_num(x + step / 2)},{_num(top + plot_h * (5 - rating) / 4)}")
        if i % every == 0:
            body.append(_text(x + step / 2, height - bottom + 16, label, anchor="middle"))
    if points:
        line = f'points="{" ".join(points)}" fill="none" stroke="{COLORS["rating"]}" stroke-width="2"'
        body.append(f"<polyline {line}/>")
    return _svg(width, height, title, body)


def stacked_bar_chart(*, labels, series, title, width=720, height=240):
    """Vertical stacked bars: ``series`` is a list of (name, values, color)."""
    totals = [sum(values[i] for _, values, _ in series) for i in range(len(labels))]
    if not labels or not any(totals):
        return _empty(width, title)
    left, right, top, bottom = 44, 12, 24, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    top_total = _nice_max(max(totals))
    step = plot_w / len(labels)
    body = _legend(left, 14, [(name, color) for name, _, color in series])
    for i in range(5):
        y = top + plot_h * i / 4
        body.append(_gridline(left, left + plot_w, y))
        body.append(_text(left - 6, y + 4, _num(top_total * (4 - i) / 4), anchor="end"))
    every = _label_every(len(labels), plot_w // 60)
    for i, label in enumerate(labels):
        x, base = left + i * step, top + plot_h
        for name, values, color in series:
            h = plot_h * values[i] / top_total
            base -= h
            body.append(_rect(x + step * 0.15, base, step * 0.7, h, color, f"{label} {name}: {values[i]}"))
        if i % every == 0:
            body.append(_text(x + step / 2, height - bottom + 16, label, anchor="middle"))
    return _svg(width, height, title, body)


def sentiment_chart(*, labels, positive, neutral, negative, title="Sentiment over time", **size):
    series = [
        ("Positive", positive, COLORS["positive"]),
        ("Neutral", neutral, COLORS["neutral"]),
        ("Negative", negative, COLORS["negative"]),
    ]
    return stacked_bar_chart(labels=labels, series=series, title=title, **size)


def rating_distribution_chart(*, distribution, title="Rating distribution", width=360, height=220):
    """Bars for 1★ to 5★ from ``{1: count, ..., 5: count}``."""
    labels = [f"{n}★" for n in range(1, 6)]
    values = [distribution.get(n, 0) for n in range(1, 6)]
    return stacked_bar_chart(
        labels=labels,
        series=[("Feedback", values, COLORS["primary"])],
        title=title,
        width=width,
        height=height,
    )


def horizontal_bars(*, rows, title, width=360, value_format="{}"):
    """Horizontal stacked bars, one per row: ``rows`` is a list of (label, [(name, value, color), ...]).
    The number shown at the end of each bar is the sum of its parts."""
    if not rows:
        return _empty(width, title)
    label_w, bar_h, gap, top = 120, 16, 10, 8
    height = top + len(rows) * (bar_h + gap) + 4
    highest = max(sum(part[1] for part in parts) for _, parts in rows) or 1
    plot_w = width - label_w - 48
    body = []
    for i, (label, parts) in enumerate(rows):
        y = top + i * (bar_h + gap)
        shown = label if len(label) <= 18 else label[:17] + "…"
        body.append(_text(label_w - 6, y + bar_h - 4, shown, anchor="end", color=COLORS["ink"]))
        x = label_w
        for name, value, color in parts:
            w = plot_w * value / highest
            body.append(_rect(x, y, w, bar_h, color, f"{label} {name}: {value}"))
            x += w
        total = sum(part[1] for part in parts)
        body.append(_text(x + 4, y + bar_h - 4, value_format.format(total)))
    return _svg(width, height, title, body)


def themes_chart(*, themes, title="Themes and their sentiment", width=360):
    """``themes``: dicts with value, positive, neutral, negative (as from clients.stats.tag_breakdown)."""
    rows = [
        (row["value"], [(name, row[key], COLORS[key]) for key, name in SENTIMENT_SERIES]) for row in themes
    ]
    return horizontal_bars(rows=rows, title=title, width=width)


def sources_chart(*, sources, title="Sources", width=360):
    rows = [(source_name(row["value"]), [("Feedback", row["count"], COLORS["primary"])]) for row in sources]
    return horizontal_bars(rows=rows, title=title, width=width)


def locations_chart(*, locations, title="Average rating by location", width=360):
    """``locations``: dicts with name, count and rating_sum; bars of the average rating."""
    rows = [
        (row["name"], [("Average rating", round(row["rating_sum"] / row["count"], 2), COLORS["rating"])])
        for row in locations
        if row["count"]
    ]
    return horizontal_bars(rows=rows, title=title, width=width, value_format="{:.2f}★")


def _bucket_label(day, bucket):
    return day.strftime("%b %Y") if bucket == "month" else day.strftime("%b %-d")


def dashboard_charts(*, series, bucket, current, themes, sources, locations):
    """The charts of a client dashboard (and of its PDF report), keyed by name.

    ``series``: rows of clients.stats.daily_series; ``bucket``: its "day", "week" or "month";
    ``current``: the period's stats (selectors.feedback_stats); ``themes``, ``sources``: rows of
    clients.stats.tag_breakdown; ``locations``: rows of clients.stats.location_breakdown (the
    location chart is None unless there are several).
    """
    labels = [_bucket_label(row["bucket"], bucket) for row in series]
    return {
        "volume": volume_rating_chart(
            labels=labels,
            counts=[row["count"] for row in series],
            ratings=[row["rating_sum"] / row["count"] if row["count"] else None for row in series],
        ),
        "sentiment": sentiment_chart(
            labels=labels,
            positive=[row["positive"] for row in series],
            neutral=[row["neutral"] for row in series],
            negative=[row["negative"] for row in series],
        ),
        "distribution": rating_distribution_chart(distribution=current["rating_distribution"]),
        "themes": themes_chart(themes=themes),
        "sources": sources_chart(sources=sources),
        "locations": locations_chart(locations=locations) if len(locations) > 1 else None,
    }

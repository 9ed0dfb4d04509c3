"""The report's charts: in the agency's colours, on a continuous time axis, in the reader's language.

Each chart comes with a title and a one-line caption that says what to read in it (the
template prints them around the chart). A chart is drawn by clients.chart_drawings: its shapes
as SVG, its words (axes, legend, values) placed here as HTML over the shapes, at the size the
chart takes on the page.
"""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clients import chart_drawings as charts
from clients.sources import source_name
from reports import i18n

LOW_VOLUME = 3  # buckets with fewer reviews than this are drawn faint: their average is noise
FULL_MM, HALF_MM = 180, 88  # the width a chart takes: the page's text width, or half of a row
LABEL_UNITS = 11  # a label's size in chart units
BASELINE_EM = 0.9  # a one-line label's baseline below its top (Noto Sans, line-height 1)
FONT = "Noto Sans, DejaVu Sans, Noto Sans CJK JP, Noto Sans Arabic, Noto Sans Hebrew, sans-serif"
SENTIMENT = (("positive", "#2b8a3e"), ("neutral", "#adb5bd"), ("negative", "#c92a2a"))


def _sentiment_names():
    return {"positive": _("Positive"), "neutral": _("Neutral"), "negative": _("Negative")}


def _ticks(rows, bucket):
    """About six evenly spaced labels: weekly on days, four-weekly on weeks, quarterly on months."""
    count = len(rows)
    every = {"day": 7, "week": 4, "month": 3}[bucket] if count > 8 else 1
    if bucket == "day" and count <= 10:
        every = 1
    while count / every > 9:
        every *= 2
    style = "month" if bucket == "month" else "short"
    return [(i, i18n.date_text(row["bucket"], style)) for i, row in enumerate(rows) if i % every == 0]


def placed(drawing, width_mm):
    """The drawing at ``width_mm`` on the page: its SVG, and each label's box as CSS.

    Each label gets a width (roomier than its text; ``start``, ``middle`` or ``end`` aligned in
    it), so WeasyPrint does not measure it first: a chart has a hundred labels."""
    scale = width_mm / drawing.width
    labels = []
    for label in drawing.labels:
        room = len(label.text) * 7.5 + 30  # chart units; a label may overflow its box harmlessly
        left = {"start": label.x, "middle": label.x - room / 2, "end": label.x - room}[label.anchor]
        top = (label.y - BASELINE_EM * LABEL_UNITS) / drawing.height * 100
        css = (f"left: {left / drawing.width * 100:.2f}%; width: {room / drawing.width * 100:.2f}%; "
               f"top: {top:.2f}%; color: {label.color}")  # fmt: skip
        labels.append({"text": label.text, "anchor": label.anchor, "css": css})
    return {"svg": drawing.svg, "labels": labels, "width": f"{width_mm:.2f}mm",
            "height": f"{drawing.height * scale:.2f}mm", "font": f"{LABEL_UNITS * scale:.3f}mm"}  # fmt: skip


def _figure(name, title, caption, drawing, width_mm=HALF_MM):
    return {"name": name, "title": title, "caption": caption, "chart": placed(drawing, width_mm)}


def _bucket_words(bucket, empty):
    """The caption's words for one kind of bucket: what a bar is, the gaps, the faint bars."""
    if bucket == "week":
        return (_("Each bar is one week (weeks start on Monday)."),
                ngettext("%(n)s week without feedback is a gap.", "%(n)s weeks without feedback are gaps.",
                         empty) if empty else _("Every week had feedback."),
                _("Fewer than %(n)s reviews in a week: faint bar, hollow point"))  # fmt: skip
    if bucket == "month":
        return (_("Each bar is one month."),
                ngettext("%(n)s month without feedback is a gap.", "%(n)s months without feedback are gaps.",
                         empty) if empty else _("Every month had feedback."),
                _("Fewer than %(n)s reviews in a month: faint bar, hollow point"))  # fmt: skip
    return (_("Each bar is one day."),
            ngettext("%(n)s day without feedback is a gap.", "%(n)s days without feedback are gaps.", empty)
            if empty else _("Every day had feedback."),
            _("Fewer than %(n)s reviews in a day: faint bar, hollow point"))  # fmt: skip


def timeline(series, *, brand, accent):
    rows, bucket = series["rows"], series["bucket"]
    counts = [row["count"] for row in rows]
    light = [0 < c < LOW_VOLUME for c in counts]
    ratings = [row["rating_sum"] / row["count"] if row["count"] else None for row in rows]
    empty = sum(1 for c in counts if c == 0)
    per, gaps, low = _bucket_words(bucket, empty)
    legend = [("bar", _("Reviews"), brand), ("line", _("Average rating"), accent),
              ("hollow", low % {"n": LOW_VOLUME}, accent)]  # fmt: skip
    drawing = charts.time_chart(
        title=_("Reviews and average rating"), ticks=_ticks(rows, bucket),
        stacks=[(_("Reviews"), counts, brand, light)], line=(ratings, [not f for f in light], accent),
        legend=legend, y_label=_("Reviews"), y2_label=_("Average rating (1–5)"), number=i18n.number,
        font=FONT, empty_text=_("No feedback in this period"), height=250,
    )  # fmt: skip
    caption = " ".join((_("How many reviews came in, and how they were rated, over time."), per,
                        gaps % {"n": empty} if empty else gaps))  # fmt: skip
    return _figure("timeline", _("Reviews and average rating over time"), caption, drawing, FULL_MM)


def sentiment_timeline(series):
    rows, bucket = series["rows"], series["bucket"]
    names = _sentiment_names()
    stacks = [(names[key], [row[key] for row in rows], color, None) for key, color in SENTIMENT]
    drawing = charts.time_chart(
        title=_("Sentiment over time"), ticks=_ticks(rows, bucket), stacks=stacks, height=180,
        legend=[("bar", names[key], color) for key, color in SENTIMENT], y_label=_("Reviews"),
        number=i18n.number, font=FONT, empty_text=_("No feedback in this period"),
    )  # fmt: skip
    caption = _("The mix of positive, neutral and negative feedback: watch the red part of each bar.")
    return _figure("sentiment", _("Sentiment over time"), caption, drawing, FULL_MM)


def distribution(now, *, brand):
    total = now["count"]
    rows = [
        (f"{stars} ★", [(str(stars), now["rating_distribution"].get(stars, 0), brand)],
         f"{i18n.number(now['rating_distribution'].get(stars, 0))} ({i18n.percent(_share(now, stars))})")
        for stars in range(5, 0, -1)
    ]  # fmt: skip
    drawing = charts.bar_rows_chart(
        title=_("Rating distribution"), rows=rows if total else [], label_width=60, axis_label=_("Reviews"),
        number=i18n.number, font=FONT, width=360, empty_text=_("No feedback in this period"),
    )  # fmt: skip
    caption = _("How many reviews gave each rating, and their share of the %(n)s reviews.") % {
        "n": i18n.number(total)
    }
    return _figure("distribution", _("Rating distribution"), caption, drawing)


def _share(now, stars):
    return now["rating_distribution"].get(stars, 0) / now["count"] if now["count"] else None


def themes(top):
    names = _sentiment_names()
    rows = [
        (i18n.theme_name(row["value"]), [(names[key], row[key], color) for key, color in SENTIMENT],
         i18n.number(row["count"]))
        for row in top
    ]  # fmt: skip
    drawing = charts.bar_rows_chart(
        title=_("Themes and their sentiment"), rows=rows, legend=[("bar", names[k], c) for k, c in SENTIMENT],
        axis_label=_("Mentions"), number=i18n.number, font=FONT, width=360, label_width=110,
        empty_text=_("No themes in this period"),
    )  # fmt: skip
    caption = _("The most mentioned themes; the colours split each theme's mentions by sentiment.")
    return _figure("themes", _("Themes and their sentiment"), caption, drawing)


def sources(rows, *, brand, total):
    bars = [
        (source_name(row["value"]), [("", row["count"], brand)],
         f"{i18n.number(row['count'])} ({i18n.percent(row['count'] / total if total else None)})")
        for row in rows
    ]  # fmt: skip
    drawing = charts.bar_rows_chart(title=_("Where feedback came from"), rows=bars, axis_label=_("Reviews"),
                                number=i18n.number, font=FONT, width=360, label_width=120,
                                empty_text=_("No feedback in this period"))  # fmt: skip
    caption = _("Each channel's number of reviews and its share of all feedback.")
    return _figure("sources", _("Where feedback came from"), caption, drawing)


def locations(rows, *, accent):
    bars = [
        (row["name"], [("", round(row["rating_sum"] / row["count"], 2), accent)],
         f"{i18n.stars(row['rating_sum'] / row['count'])}  n={i18n.number(row['count'])}")
        for row in rows
        if row["count"]
    ]  # fmt: skip
    drawing = charts.bar_rows_chart(
        title=_("Average rating by location"), rows=bars, max_value=5, axis_label=_("Average rating (1–5)"),
        number=i18n.number, font=FONT, width=360, label_width=120, empty_text=_("No feedback in this period"),
    )  # fmt: skip
    caption = _("Each location's average rating in the period, with the number of reviews behind it.")
    return _figure("locations", _("Average rating by location"), caption, drawing)


def report_charts(data, *, brand, accent):
    """The charts of a report's data, keyed by name."""
    out = {
        "timeline": timeline(data["series"], brand=brand, accent=accent),
        "sentiment": sentiment_timeline(data["series"]),
        "distribution": distribution(data["now"], brand=brand),
        "sources": sources(data["sources"], brand=brand, total=data["now"]["count"]),
    }
    if data.get("themes"):
        out["themes"] = themes(data["themes"]["top"])
    if len(data["locations"]) > 1:
        out["locations"] = locations(data["locations"], accent=accent)
    return out

"""What a report states, and the rules that keep it honest.

- A driver of the rating change, or a theme's change, is named only when both periods have at
  least ``settings.REPORTS_MIN_SAMPLE`` reviews behind it (default 10); below that the report
  says there was too little feedback to say.
- Notable comments are chosen by the rule in ``COMMENT_RULE`` (printed under them in the report).
- The time series is continuous: every day (week, month) of the period is on the axis, empty
  ones included, so a gap in the feedback is a gap on the chart.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext_lazy as _

from clients import stats
from clients.models import TagKind
from reports.significance import rating_change, share_change

COMMENT_LIMIT = 280  # characters of a quoted comment before it is cut at a word boundary
COMMENT_MIN_CHARS = 40  # shorter comments ("Great!") say too little to quote
COMMENTS_SHOWN = 3  # per direction
DAILY_UP_TO_DAYS = 62  # longer periods are drawn by week, longer than a year by month
WEEKLY_UP_TO_DAYS = 366
COMMENT_RULE = _(
    "How these were chosen: comments of at least %(chars)s characters, positive ones rated 4 or 5 "
    "stars, negative ones 1 or 2; the most informative first (the most themes mentioned, then the "
    "strongest sentiment, then the longest, then the newest); each text only once; at most one per "
    "location when the report covers several."
)


def min_sample():
    return settings.REPORTS_MIN_SAMPLE


@dataclass(frozen=True)
class Scope:
    client: object
    location: object  # or None: all the client's locations

    @property
    def ids(self):
        return {"client_id": self.client.pk, "location_id": self.location.pk if self.location else None}


def changes(now, before):
    """Each headline figure's change against an earlier period, with its significance."""
    rated = lambda s: sum(s["sentiment"].values())  # noqa: E731
    return {
        "average_rating": rating_change(before["rating_distribution"], now["rating_distribution"]),
        "negative_share": share_change(
            part_before=before["sentiment"]["negative"], n_before=rated(before),
            part_after=now["sentiment"]["negative"], n_after=rated(now),
        ),
        "resolved_share": share_change(
            part_before=round((before["resolved_share"] or 0) * before["count"]), n_before=before["count"],
            part_after=round((now["resolved_share"] or 0) * now["count"]), n_after=now["count"],
        ),
        "count": now["count"] - before["count"],
        "count_share": (now["count"] - before["count"]) / before["count"] if before["count"] else None,
    }  # fmt: skip


def bucket_for(days):
    return "day" if days <= DAILY_UP_TO_DAYS else "week" if days <= WEEKLY_UP_TO_DAYS else "month"


def _bucket_start(day, bucket):
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def _next_bucket(day, bucket):
    if bucket == "month":
        return date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return day + timedelta(days=7 if bucket == "week" else 1)


def continuous_series(scope, period):
    """Every bucket of the period in order, those without feedback included (count 0)."""
    bucket = bucket_for(period.days)
    rows = stats.daily_series(**scope.ids, first_day=period.first_day, end_day=period.end_day, bucket=bucket)
    found = {row["bucket"]: row for row in rows}
    series, day = [], _bucket_start(period.first_day, bucket)
    while day < period.end_day:
        empty = {"count": 0, "rating_sum": 0, "positive": 0, "neutral": 0, "negative": 0}
        series.append({"bucket": day, **found.get(day, empty)})
        day = _next_bucket(day, bucket)
    return {"bucket": bucket, "rows": series}


def _average(row):
    return row["rating_sum"] / row["count"] if row["count"] else None


def _contributions(now_rows, before_rows, *, key, now_total, before_total, before_mean):
    """Each group's part in the change of the average rating, with its n in both periods.

    contribution = share_now * (avg_now - overall_before) - share_before * (avg_before - overall_before)
    For groups that split the feedback (locations, sources) these add up to the change exactly.
    """
    before = {row[key]: row for row in before_rows}
    out = []
    for row in now_rows:
        prev = before.get(row[key], {"count": 0, "rating_sum": 0})
        part = 0.0
        if now_total and row["count"]:
            part += row["count"] / now_total * (_average(row) - before_mean)
        if before_total and prev["count"]:
            part -= prev["count"] / before_total * (_average(prev) - before_mean)
        named = min(row["count"], prev["count"]) >= min_sample()
        out.append({"name": row[key], "contribution": part, "count": row["count"],
                    "count_before": prev["count"], "named": named})  # fmt: skip
    return sorted(out, key=lambda r: abs(r["contribution"]), reverse=True)


def drivers(scope, period, previous, now, before, *, several_locations):
    """What moved the average rating, per location, source and theme; small groups unnamed."""
    change = rating_change(before["rating_distribution"], now["rating_distribution"])
    if change.delta is None:
        return None
    totals = {
        "now_total": now["count"],
        "before_total": before["count"],
        "before_mean": before["average_rating"],
    }
    days = lambda p: {"first_day": p.first_day, "end_day": p.end_day}  # noqa: E731
    groups = {}
    for kind, label in ((TagKind.SOURCE, "sources"), (TagKind.THEME, "themes")):
        rows = [stats.tag_breakdown(**scope.ids, **days(p), kind=kind, limit=200) for p in (period, previous)]
        groups[label] = _contributions(*rows, key="value", **totals)
    if several_locations:
        rows = [stats.location_breakdown(client_id=scope.client.pk, **days(p)) for p in (period, previous)]
        groups["locations"] = _contributions(*rows, key="name", **totals)
    out = {"change": change.delta, "change_obj": change, "min_sample": min_sample()}
    for label, rows in groups.items():
        named = [r for r in rows if r["named"] and abs(r["contribution"]) >= 0.005]
        out[label] = named[:3]
        out[f"{label}_unnamed"] = sum(1 for r in rows if not r["named"] and (r["count"] or r["count_before"]))
    return out


def themes(scope, period, previous):
    """The period's themes with their sentiment; best, worst, rising and falling only on enough reviews."""
    days = lambda p: {"first_day": p.first_day, "end_day": p.end_day, "kind": TagKind.THEME}  # noqa: E731
    now = stats.tag_breakdown(**scope.ids, **days(period), limit=200)
    before = {r["value"]: r["count"] for r in stats.tag_breakdown(**scope.ids, **days(previous), limit=200)}
    least = min_sample()
    for row in now:
        rated = row["positive"] + row["neutral"] + row["negative"]
        row["positive_share"] = row["positive"] / rated if rated else None
        row["count_before"] = before.get(row["value"], 0)
        row["change"] = row["count"] - row["count_before"]
    ranked = [r for r in now if r["count"] >= least and r["positive_share"] is not None]
    by_share = sorted(ranked, key=lambda r: (r["positive_share"], r["count"]))
    best = list(reversed(by_share[-3:]))
    comparable = [r for r in now if min(r["count"], r["count_before"]) >= least]
    return {
        "top": now[:8],
        "best": best,
        "worst": [row for row in by_share[:3] if row not in best],
        "rising": [r for r in sorted(comparable, key=lambda r: -r["change"]) if r["change"] > 0][:3],
        "falling": [r for r in sorted(comparable, key=lambda r: r["change"]) if r["change"] < 0][:3],
        "unnamed": sum(1 for r in now if min(r["count"], r["count_before"]) < least),
        "min_sample": least,
    }


_COMMENTS_SQL = """
SELECT f.location_id, l.name AS location, f.rating, f.comment, f.customer_name, f.created_at
FROM clients_feedback f JOIN clients_location l ON l.id = f.location_id
WHERE f.client_id = %(client)s AND f.created_at >= %(start)s AND f.created_at < %(end)s
    AND f.removed_at IS NULL AND f.comment IS NOT NULL AND char_length(f.comment) >= %(min_chars)s
    AND f.rating BETWEEN %(low)s AND %(high)s {location}
ORDER BY least(cardinality(f.themes), 3) DESC, abs(coalesce(f.sentiment_score, 0)) DESC,
    least(char_length(f.comment), %(limit)s) DESC, f.created_at DESC
LIMIT 60
"""


def cut(text, limit=COMMENT_LIMIT):
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:.-") + "…"


def _fingerprint(text):
    return re.sub(r"\W+", " ", text.casefold()).strip()


def notable_comments(scope, period, *, positive, several_locations):
    """The period's most informative comments in one direction, by ``COMMENT_RULE``."""
    start, end = period.bounds(scope.client.timezone)
    params = {"client": scope.client.pk, "start": start, "end": end, "min_chars": COMMENT_MIN_CHARS,
              "low": 4 if positive else 1, "high": 5 if positive else 2, "limit": COMMENT_LIMIT,
              "location": scope.location.pk if scope.location else None}  # fmt: skip
    location_sql = "AND f.location_id = %(location)s" if scope.location else ""
    with connection.cursor() as cursor:
        cursor.execute(_COMMENTS_SQL.format(location=location_sql), params)
        columns = [col.name for col in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    chosen, seen_texts, seen_locations = [], set(), set()
    for row in rows:
        fingerprint = _fingerprint(row["comment"])
        if fingerprint in seen_texts or (several_locations and row["location_id"] in seen_locations):
            continue
        seen_texts.add(fingerprint)
        seen_locations.add(row["location_id"])
        chosen.append({**row, "comment": cut(row["comment"]), "name": row["customer_name"]})
        if len(chosen) == COMMENTS_SHOWN:
            break
    return chosen

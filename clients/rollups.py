"""Daily roll-ups of feedback (FeedbackDaily, FeedbackDailyTag), and their monthly sums
(FeedbackMonthly), kept current by the sync.

A day is the client's local day (PostgreSQL's time zone rules). A full walk of the sync (a
backfill, a reconcile) builds the location's rows once, at its end or wherever it stops; every
other batch the sync writes refreshes the days it touched (``UpsertResult.touched_days``) in the
batch's own transaction. So outside a walk under way, the roll-ups equal the live rows (the
feedback lists' exact totals rely on it). Both recompute
from the feedback table, so they are exact and idempotent; a refresh reads only the days asked
for (index ranges on (location, created_at)).
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from clients.models import TOTAL_COUNTS, Location

# Days are read through index ranges (location, created_at) that cover them with a day to spare
# each side (time zone rules of Python and PostgreSQL may differ); the exact local day is
# PostgreSQL's, as everywhere else.
_DAYS_SCOPE = """
    JOIN unnest(%(lows)s::timestamptz[], %(highs)s::timestamptz[]) AS r(low, high)
        ON f.created_at >= r.low AND f.created_at < r.high
    WHERE f.location_id = %(location)s AND f.removed_at IS NULL
        AND (f.created_at AT TIME ZONE %(tz)s)::date = ANY(%(days)s)
"""
_ALL_SCOPE = "WHERE f.location_id = %(location)s AND f.removed_at IS NULL"

# One round trip: drop the rows of the scope, then read the feedback once (an index range)
# and aggregate it into both daily tables; then sum the months of those days again.
_REFRESH_SQL = """
DELETE FROM clients_feedbackdaily WHERE location_id = %(location)s {delete_days};
DELETE FROM clients_feedbackdailytag WHERE location_id = %(location)s {delete_days};
WITH items AS MATERIALIZED (
    SELECT (f.created_at AT TIME ZONE %(tz)s)::date AS day,
        f.rating, f.sentiment, f.status, f.themes, f.source
    FROM clients_feedback f
    {scope}
),
daily AS (
    INSERT INTO clients_feedbackdaily (
        client_id, location_id, day, count, rating_sum, rating_1, rating_2, rating_3, rating_4, rating_5,
        positive, neutral, negative, status_new, status_reviewed, status_resolved)
    SELECT %(client)s, %(location)s, day, count(*), sum(rating),
        count(*) FILTER (WHERE rating = 1), count(*) FILTER (WHERE rating = 2),
        count(*) FILTER (WHERE rating = 3), count(*) FILTER (WHERE rating = 4),
        count(*) FILTER (WHERE rating = 5), {sentiments},
        count(*) FILTER (WHERE status = 'new'), count(*) FILTER (WHERE status = 'reviewed'),
        count(*) FILTER (WHERE status = 'resolved')
    FROM items GROUP BY day
)
INSERT INTO clients_feedbackdailytag (
    client_id, location_id, day, kind, value, count, rating_sum, positive, neutral, negative)
SELECT %(client)s, %(location)s, day, 'theme', t.theme, count(*), sum(rating), {sentiments}
FROM items CROSS JOIN LATERAL (SELECT DISTINCT unnest(items.themes)) AS t(theme)
GROUP BY day, t.theme
UNION ALL
SELECT %(client)s, %(location)s, day, 'source', source, count(*), sum(rating), {sentiments}
FROM items GROUP BY day, source;
DELETE FROM clients_feedbackmonthly WHERE location_id = %(location)s {delete_months};
INSERT INTO clients_feedbackmonthly (client_id, location_id, month, {counts})
SELECT %(client)s, %(location)s, date_trunc('month', day::timestamp)::date, {count_sums}
FROM clients_feedbackdaily WHERE location_id = %(location)s {month_days}
GROUP BY 3
"""
_SENTIMENTS = ", ".join(
    f"count(*) FILTER (WHERE sentiment = '{value}')" for value in ("positive", "neutral", "negative")
)


def _ranges(days, tz):
    """Non-overlapping UTC ranges covering ``days`` (sorted) and a day either side of each."""
    lows, highs = [], []
    for day in days:
        low = datetime.combine(day - timedelta(days=1), time(), tz)
        high = datetime.combine(day + timedelta(days=2), time(), tz)
        if highs and low <= highs[-1]:
            highs[-1] = high
        else:
            lows.append(low)
            highs.append(high)
    return lows, highs


def _refresh(*, location_id, client_id, tz_name, days=None):
    params = {"location": location_id, "client": client_id, "tz": tz_name}
    if days is None:
        scope, delete_days, delete_months, month_days = _ALL_SCOPE, "", "", ""
    else:
        days = sorted(days)
        lows, highs = _ranges(days, ZoneInfo(tz_name))
        params.update(days=days, lows=lows, highs=highs, months=sorted({day.replace(day=1) for day in days}))
        scope, delete_days = _DAYS_SCOPE, "AND day = ANY(%(days)s)"
        delete_months = "AND month = ANY(%(months)s)"
        month_days = "AND date_trunc('month', day::timestamp)::date = ANY(%(months)s)"
    sql = _REFRESH_SQL.format(
        delete_days=delete_days, scope=scope, sentiments=_SENTIMENTS, delete_months=delete_months,
        month_days=month_days, counts=", ".join(TOTAL_COUNTS),
        count_sums=", ".join(f"sum({name})" for name in TOTAL_COUNTS),
    )  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def feedback_daily_refresh_days(*, location, days):
    """Recompute the roll-ups of ``location`` for these local days (dates in the client's time
    zone), for example ``UpsertResult.touched_days``, and the sums of their months; a day with no
    live feedback left loses its rows. Costs a read of those days' feedback (and of their months'
    daily rows), whatever the location's size."""
    if days:
        client = location.client
        _refresh(location_id=location.pk, client_id=client.pk, tz_name=client.timezone, days=days)


def feedback_daily_rebuild(*, location=None, client=None):
    """Rebuild every roll-up row of a location, or of all of a client's locations (after a
    change of the client's time zone, for example)."""
    if location is not None:
        _refresh(location_id=location.pk, client_id=location.client_id, tz_name=location.client.timezone)
        return
    for pk in Location.objects.filter(client=client).values_list("pk", flat=True):
        _refresh(location_id=pk, client_id=client.pk, tz_name=client.timezone)

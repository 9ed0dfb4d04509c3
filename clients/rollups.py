"""Daily roll-ups of feedback (FeedbackDaily, FeedbackDailyTag), kept current by the sync.

A day is the client's local day. After each upsert batch the sync recomputes
the (location, day) rows the batch touched; after a full pass (backfill,
reconcile) it rebuilds the location's rows, which also takes removals into
account. Recomputing from the feedback table makes every refresh idempotent.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from clients.models import Client, Location

_SCOPE = """
    f.location_id = %(location)s AND f.removed_at IS NULL
    {days_filter}
"""
_DAYS_FILTER = """
    AND f.created_at >= %(low)s AND f.created_at < %(high)s
    AND (f.created_at AT TIME ZONE %(tz)s)::date = ANY(%(days)s)
"""

# One round trip: drop the rows of the scope, then read the feedback once (an index range)
# and aggregate it into both roll-up tables.
_REFRESH_SQL = """
DELETE FROM clients_feedbackdaily WHERE location_id = %(location)s {delete_days};
DELETE FROM clients_feedbackdailytag WHERE location_id = %(location)s {delete_days};
WITH items AS MATERIALIZED (
    SELECT (f.created_at AT TIME ZONE %(tz)s)::date AS day,
        f.rating, f.sentiment, f.status, f.themes, f.source
    FROM clients_feedback f
    WHERE {scope}
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
FROM items GROUP BY day, source
"""
_SENTIMENTS = ", ".join(
    f"count(*) FILTER (WHERE sentiment = '{value}')" for value in ("positive", "neutral", "negative")
)


def _local_day(value, tz):
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.astimezone(tz).date()


def _refresh(*, location_id, client_id, tz_name, days=None):
    tz = ZoneInfo(tz_name)
    params = {"location": location_id, "client": client_id, "tz": tz_name}
    if days is None:
        scope, delete_days = _SCOPE.format(days_filter=""), ""
    else:
        days = sorted(days)
        params.update(
            days=days,
            low=datetime.combine(days[0], time(), tz),
            high=datetime.combine(days[-1] + timedelta(days=1), time(), tz),
        )
        scope, delete_days = _SCOPE.format(days_filter=_DAYS_FILTER), "AND day = ANY(%(days)s)"
    sql = _REFRESH_SQL.format(delete_days=delete_days, scope=scope, sentiments=_SENTIMENTS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def feedback_daily_refresh(*, location, created_at):
    """Recompute the roll-ups of ``location`` for the local days of the given creation times.

    ``created_at``: datetimes or ISO 8601 strings (as PulseBack sends them).
    """
    client = location.client
    tz = ZoneInfo(client.timezone)
    days = {_local_day(value, tz) for value in created_at}
    if days:
        _refresh(location_id=location.pk, client_id=client.pk, tz_name=client.timezone, days=days)


def feedback_daily_rebuild(*, location=None, client=None):
    """Rebuild every roll-up row of a location, or of all of a client's locations (after a
    change of the client's time zone, for example)."""
    locations = [location] if location is not None else Location.objects.filter(client=client)
    for loc in locations:
        owner = client if client is not None else Client.objects.only("timezone").get(pk=loc.client_id)
        _refresh(location_id=loc.pk, client_id=owner.pk, tz_name=owner.timezone)

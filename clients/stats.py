"""Aggregations for dashboards, reports and the feedback lists' totals, in SQL over the daily
roll-ups and their monthly sums (clients.rollups).

Periods are aligned on the client's local days wherever they can be; the
parts of a period that do not cover whole local days are read from the
feedback table (a short index range). Selectors call these functions.
"""

from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection

from clients.models import Client, Location

SUM_FIELDS = (
    "count", "rating_sum", "rating_1", "rating_2", "rating_3", "rating_4", "rating_5",
    "positive", "neutral", "negative", "status_new", "status_reviewed", "status_resolved",
)  # fmt: skip

_RAW_COLUMNS = """
    count(*), coalesce(sum(f.rating), 0),
    count(*) FILTER (WHERE f.rating = 1), count(*) FILTER (WHERE f.rating = 2),
    count(*) FILTER (WHERE f.rating = 3), count(*) FILTER (WHERE f.rating = 4),
    count(*) FILTER (WHERE f.rating = 5),
    count(*) FILTER (WHERE f.sentiment = 'positive'), count(*) FILTER (WHERE f.sentiment = 'neutral'),
    count(*) FILTER (WHERE f.sentiment = 'negative'),
    count(*) FILTER (WHERE f.status = 'new'), count(*) FILTER (WHERE f.status = 'reviewed'),
    count(*) FILTER (WHERE f.status = 'resolved')
"""

_PERIOD_SQL = """
SELECT {totals} FROM (
    SELECT {daily} FROM clients_feedbackdaily d
    WHERE d.{scope} AND d.day >= %(first_day)s AND d.day < %(end_day)s
    UNION ALL
    SELECT {raw} FROM clients_feedback f
    WHERE f.{scope} AND f.removed_at IS NULL AND f.created_at >= %(a_low)s AND f.created_at < %(a_high)s
    UNION ALL
    SELECT {raw} FROM clients_feedback f
    WHERE f.{scope} AND f.removed_at IS NULL AND f.created_at >= %(b_low)s AND f.created_at < %(b_high)s
) AS parts
"""


def _scope(*, client_id=None, location_id=None, client_ids=None):
    if location_id is not None:
        return "location_id = %(scope)s", location_id
    if client_id is not None:
        return "client_id = %(scope)s", client_id
    return "client_id = ANY(%(scope)s)", list(client_ids)


def _midnight(day, tz):
    return datetime.combine(day, time(), tz)


def _period_sums(*, scope_sql, scope_value, tz, start, end):
    """Sums of SUM_FIELDS over [start, end): whole local days from roll-ups, the edges raw."""
    local_start = start.astimezone(tz)
    first_day = local_start.date() + timedelta(days=0 if local_start.time() == time() else 1)
    end_day = end.astimezone(tz).date()
    first_midnight, end_midnight = _midnight(first_day, tz), _midnight(end_day, tz)
    params = {
        "scope": scope_value,
        "first_day": first_day,
        "end_day": end_day,
        "a_low": start,
        "a_high": min(end, first_midnight),
        "b_low": max(start, end_midnight, first_midnight),
        "b_high": end,
    }
    sql = _PERIOD_SQL.format(
        totals=", ".join(f"coalesce(sum({name}), 0)" for name in SUM_FIELDS),
        daily=", ".join(SUM_FIELDS),
        raw=_RAW_COLUMNS,
        scope=scope_sql,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(zip(SUM_FIELDS, (int(v) for v in cursor.fetchone()), strict=True))


def _share(part, whole):
    return part / whole if whole else None


def stats_from_sums(sums):
    """The stats dict of the selectors' contract, from summed roll-up columns."""
    count = sums["count"]
    rated = sums["positive"] + sums["neutral"] + sums["negative"]
    return {
        "count": count,
        "average_rating": sums["rating_sum"] / count if count else None,
        "sentiment": {key: sums[key] for key in ("positive", "neutral", "negative")},
        "negative_share": _share(sums["negative"], rated),
        "resolved_share": _share(sums["status_resolved"], count),
        "backlog_new": sums["status_new"],
        "rating_distribution": {n: sums[f"rating_{n}"] for n in range(1, 6)},
    }


def period_stats(*, client_id=None, location_id=None, start, end):
    """Stats of live feedback created in [start, end); of every client when neither id is given."""
    if location_id is not None:
        tz_name = Location.objects.values_list("client__timezone", flat=True).get(pk=location_id)
        groups = [(_scope(location_id=location_id), tz_name)]
    elif client_id is not None:
        tz_name = Client.objects.values_list("timezone", flat=True).get(pk=client_id)
        groups = [(_scope(client_id=client_id), tz_name)]
    else:
        by_tz = defaultdict(list)
        for pk, tz_name in Client.objects.values_list("pk", "timezone"):
            by_tz[tz_name].append(pk)
        groups = [(_scope(client_ids=ids), tz_name) for tz_name, ids in by_tz.items()]
    totals = dict.fromkeys(SUM_FIELDS, 0)
    for (scope_sql, scope_value), tz_name in groups:
        sums = _period_sums(
            scope_sql=scope_sql, scope_value=scope_value, tz=ZoneInfo(tz_name), start=start, end=end
        )
        for name in SUM_FIELDS:
            totals[name] += sums[name]
    return stats_from_sums(totals)


# The roll-up column that counts each value of PulseBack's own filters (status, sentiment).
_VALUE_COLUMNS = {
    "status": {"new": "status_new", "reviewed": "status_reviewed", "resolved": "status_resolved"},
    "sentiment": {"positive": "positive", "neutral": "neutral", "negative": "negative"},
}

_TOTAL_SQL = """
SELECT coalesce(sum(m.{column}), 0) FROM clients_feedbackmonthly m WHERE {scope_m}
"""
# Live items created at or after ``start``. The local days after the one ``start`` falls in (each
# client's) are whole: the months after its month from the monthly roll-ups, the rest of its month
# from the daily ones. The rows that the day of ``start`` gets wrong come from the table, an index
# range around ``start`` (wider than any local day, however the clock steps): +1 for each row at or
# after ``start`` on that day or before it, -1 for each row before ``start`` on a later day (local
# time can step back over midnight). Days are PostgreSQL's, as in the roll-ups.
_TOTAL_SINCE_SQL = """
WITH c AS MATERIALIZED (
    SELECT c.id, c.timezone, s.day AS start_day,
        (date_trunc('month', s.day::timestamp) + interval '1 month')::date AS next_month
    FROM clients_client c
    CROSS JOIN LATERAL (SELECT (%(start)s::timestamptz AT TIME ZONE c.timezone)::date AS day) AS s
    WHERE {clients}
)
SELECT (
    SELECT coalesce(sum(m.{column}), 0) FROM clients_feedbackmonthly m JOIN c ON c.id = m.client_id
    WHERE {scope_m} AND m.month >= c.next_month
) + (
    SELECT coalesce(sum(d.{column}), 0) FROM clients_feedbackdaily d JOIN c ON c.id = d.client_id
    WHERE {scope_d} AND d.day > c.start_day AND d.day < c.next_month
) + (
    SELECT coalesce(sum(CASE WHEN f.created_at >= %(start)s THEN 1 ELSE -1 END), 0)
    FROM clients_feedback f JOIN c ON c.id = f.client_id
    WHERE f.removed_at IS NULL AND {scope_f} AND {value}
        AND f.created_at >= %(start)s::timestamptz - interval '1 day'
        AND f.created_at < %(start)s::timestamptz + interval '2 days'
        AND (f.created_at >= %(start)s) = ((f.created_at AT TIME ZONE c.timezone)::date <= c.start_day)
)
"""


def live_total(*, client_ids=None, location_id=None, status=None, sentiment=None, start=None):
    """How many live items of these clients (every client when None), of a location when given, with
    a status or a sentiment (not both: the roll-ups count each alone), created at or after ``start``
    (an aware datetime) when given. Exact: the sync keeps the roll-ups equal to the rows."""
    assert not (status and sentiment)
    field, value = ("status", status) if status else ("sentiment", sentiment)
    column = _VALUE_COLUMNS[field][value] if value else "count"
    at_location = {alias: f"{alias}.location_id = %(location)s" if location_id else "true" for alias in "mdf"}
    if start is None:
        clients = "true" if client_ids is None else "m.client_id = ANY(%(clients)s)"
        sql = _TOTAL_SQL.format(column=column, scope_m=f"{clients} AND {at_location['m']}")
    else:
        sql = _TOTAL_SINCE_SQL.format(
            column=column,
            clients="true" if client_ids is None else "c.id = ANY(%(clients)s)",
            scope_m=at_location["m"],
            scope_d=at_location["d"],
            scope_f=at_location["f"],
            value=f"f.{field} = %(value)s" if value else "true",
        )
    params = {"clients": client_ids, "location": location_id, "start": start, "value": value}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


def _fetch(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [col.name for col in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def daily_series(*, client_id, location_id=None, first_day, end_day, bucket="day"):
    """Per bucket (day, week or month) of [first_day, end_day): count, rating_sum and sentiment."""
    assert bucket in ("day", "week", "month")
    scope_sql, scope_value = _scope(client_id=client_id, location_id=location_id)
    sql = f"""
        SELECT date_trunc('{bucket}', d.day)::date AS bucket, sum(d.count)::int AS count,
            sum(d.rating_sum)::int AS rating_sum, sum(d.positive)::int AS positive,
            sum(d.neutral)::int AS neutral, sum(d.negative)::int AS negative
        FROM clients_feedbackdaily d
        WHERE d.client_id = %(client)s AND d.{scope_sql} AND d.day >= %(first_day)s AND d.day < %(end_day)s
        GROUP BY 1 ORDER BY 1
    """  # noqa: S608 - bucket is one of three fixed words; values are parameters
    params = {"client": client_id, "scope": scope_value, "first_day": first_day, "end_day": end_day}
    return _fetch(sql, params)


_EMPTY_BUCKET = {"count": 0, "rating_sum": 0, "positive": 0, "neutral": 0, "negative": 0}


def _bucket_start(day, bucket):
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if bucket == "month" else day


def _bucket_next(day, bucket):
    if bucket == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=7 if bucket == "week" else 1)


def series_filled(rows, *, first_day, end_day, bucket="day"):
    """``rows`` (of daily_series or portfolio_series) with a row of zeros for each bucket of
    [first_day, end_day) that has no feedback, so that a chart's time axis is regular."""
    by_bucket = {row["bucket"]: row for row in rows}
    filled, day = [], _bucket_start(first_day, bucket)
    while day < end_day:
        filled.append(by_bucket.get(day) or {"bucket": day, **_EMPTY_BUCKET})
        day = _bucket_next(day, bucket)
    return filled


def tag_breakdown(*, client_id, location_id=None, first_day, end_day, kind, limit=12):
    """The top themes or sources of [first_day, end_day), with their sentiment split."""
    scope_sql, scope_value = _scope(client_id=client_id, location_id=location_id)
    sql = f"""
        SELECT t.value, sum(t.count)::int AS count, sum(t.rating_sum)::int AS rating_sum,
            sum(t.positive)::int AS positive, sum(t.neutral)::int AS neutral,
            sum(t.negative)::int AS negative
        FROM clients_feedbackdailytag t
        WHERE t.client_id = %(client)s AND t.{scope_sql} AND t.kind = %(kind)s
            AND t.day >= %(first_day)s AND t.day < %(end_day)s
        GROUP BY t.value ORDER BY count DESC, t.value LIMIT %(limit)s
    """  # noqa: S608 - the scope is a fixed fragment; values are parameters
    params = {
        "client": client_id,
        "scope": scope_value,
        "kind": kind,
        "first_day": first_day,
        "end_day": end_day,
        "limit": limit,
    }
    return _fetch(sql, params)


def location_breakdown(*, client_id, first_day, end_day):
    """Every location of a client with its count, rating sum and negative share for the period."""
    sql = """
        SELECT l.id, l.name, coalesce(sum(d.count), 0)::int AS count,
            coalesce(sum(d.rating_sum), 0)::int AS rating_sum,
            coalesce(sum(d.negative), 0)::int AS negative,
            coalesce(sum(d.positive + d.neutral + d.negative), 0)::int AS rated
        FROM clients_location l
        LEFT JOIN clients_feedbackdaily d
            ON d.location_id = l.id AND d.day >= %(first_day)s AND d.day < %(end_day)s
        WHERE l.client_id = %(client)s
        GROUP BY l.id, l.name ORDER BY l.name, l.id
    """
    return _fetch(sql, {"client": client_id, "first_day": first_day, "end_day": end_day})


# Summed in two steps: each client's roll-up rows by part of the two periods (plain sums), then
# those few rows per client pivoted; ten filtered sums over every roll-up row took a third longer.
_OVERVIEW_SQL = """
WITH c AS (
    SELECT c.id, c.name, (%(now)s::timestamptz AT TIME ZONE c.timezone)::date + 1 AS end_day
    FROM clients_client c
    WHERE c.id = ANY(%(ids)s) AND c.name ILIKE %(q)s
),
parts AS (
    SELECT d.client_id, d.day >= c.end_day - %(days)s AS in_period, d.day < c.end_day - 2 AS past_two_days,
        sum(d.count) AS count, sum(d.rating_sum) AS rating_sum, sum(d.negative) AS negative,
        sum(d.positive + d.neutral + d.negative) AS rated, sum(d.status_new) AS open
    FROM clients_feedbackdaily d JOIN c ON c.id = d.client_id
    WHERE d.day >= c.end_day - 2 * %(days)s AND d.day < c.end_day
    GROUP BY 1, 2, 3
),
agg AS (
    SELECT client_id,
        sum(count) FILTER (WHERE in_period) AS count, sum(rating_sum) FILTER (WHERE in_period) AS rating_sum,
        sum(negative) FILTER (WHERE in_period) AS negative, sum(rated) FILTER (WHERE in_period) AS rated,
        sum(open) FILTER (WHERE in_period) AS open,
        sum(open) FILTER (WHERE in_period AND past_two_days) AS overdue,
        sum(count) FILTER (WHERE NOT in_period) AS prev_count,
        sum(rating_sum) FILTER (WHERE NOT in_period) AS prev_rating_sum,
        sum(negative) FILTER (WHERE NOT in_period) AS prev_negative,
        sum(rated) FILTER (WHERE NOT in_period) AS prev_rated
    FROM parts GROUP BY client_id
),
loc AS (
    SELECT l.client_id, count(*) AS locations, max(l.last_synced_at) AS last_synced_at,
        bool_or(l.state = 'invalid_credentials') AS invalid_credentials,
        bool_or(l.state IN ('unreachable', 'rate_limited')) AS failing,
        bool_and(l.state = 'paused') AS paused,
        bool_or(l.state = 'pending') AS pending
    FROM clients_location l JOIN c ON c.id = l.client_id
    GROUP BY l.client_id
),
runs AS (
    SELECT l.client_id, bool_or(r.state = 'running') AS running
    FROM clients_syncrun r JOIN clients_location l ON l.id = r.location_id JOIN c ON c.id = l.client_id
    WHERE r.state IN ('queued', 'running')
    GROUP BY l.client_id
)
SELECT c.id, c.name,
    coalesce(agg.count, 0)::int AS count, coalesce(agg.rating_sum, 0)::int AS rating_sum,
    coalesce(agg.negative, 0)::int AS negative, coalesce(agg.rated, 0)::int AS rated,
    coalesce(agg.open, 0)::int AS open, coalesce(agg.overdue, 0)::int AS overdue,
    coalesce(agg.prev_count, 0)::int AS prev_count, coalesce(agg.prev_rating_sum, 0)::int AS prev_rating_sum,
    coalesce(agg.prev_negative, 0)::int AS prev_negative, coalesce(agg.prev_rated, 0)::int AS prev_rated,
    coalesce(loc.locations, 0) AS locations, loc.last_synced_at,
    coalesce(loc.invalid_credentials, false) AS invalid_credentials,
    coalesce(loc.failing, false) AS failing, coalesce(loc.paused, false) AS paused,
    coalesce(loc.pending, false) AS pending,
    runs.running IS NOT NULL AS syncing
FROM c
LEFT JOIN agg ON agg.client_id = c.id
LEFT JOIN loc ON loc.client_id = c.id
LEFT JOIN runs ON runs.client_id = c.id
"""


def overview_rows(*, clients, days, now, q=""):
    """One row per client of the ``clients`` queryset whose name contains ``q``: the last ``days``
    local days (today included) and the ``days`` before them, with sync state. ``overdue``: items of
    the period still new after two local days."""
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    ids = list(clients.values_list("id", flat=True))
    return _fetch(_OVERVIEW_SQL, {"now": now, "days": days, "q": pattern, "ids": ids})


# The clients in scope, each with the day after its local today: periods end there. Materialized, so
# that the day is worked out once per client (not once per roll-up row) and bounds an index scan.
_SCOPE_CTE = """
c AS MATERIALIZED (
    SELECT c.id, c.name, (%(now)s::timestamptz AT TIME ZONE c.timezone)::date + 1 AS end_day
    FROM clients_client c WHERE c.id = ANY(%(ids)s)
)
"""


def portfolio_series(*, client_ids, days, now, bucket="day"):
    """Per bucket of the last ``days`` local days of each client (today included), for all the
    clients together: count, rating_sum and sentiment. Buckets without feedback are absent."""
    assert bucket in ("day", "week", "month")
    sql = f"""
        WITH {_SCOPE_CTE}
        SELECT date_trunc('{bucket}', d.day)::date AS bucket, sum(d.count)::int AS count,
            sum(d.rating_sum)::int AS rating_sum, sum(d.positive)::int AS positive,
            sum(d.neutral)::int AS neutral, sum(d.negative)::int AS negative
        FROM clients_feedbackdaily d JOIN c ON c.id = d.client_id
        WHERE d.day >= c.end_day - %(days)s AND d.day < c.end_day
        GROUP BY 1 ORDER BY 1
    """  # noqa: S608 - bucket is one of three fixed words; values are parameters
    return _fetch(sql, {"ids": list(client_ids), "days": days, "now": now})


_LOCATIONS_SQL = f"""
WITH {_SCOPE_CTE},
agg AS (
    SELECT d.location_id,
        sum(d.count) FILTER (WHERE d.day >= c.end_day - %(days)s) AS count,
        sum(d.rating_sum) FILTER (WHERE d.day >= c.end_day - %(days)s) AS rating_sum,
        sum(d.negative) FILTER (WHERE d.day >= c.end_day - %(days)s) AS negative,
        sum(d.positive + d.neutral + d.negative) FILTER (WHERE d.day >= c.end_day - %(days)s) AS rated,
        sum(d.count) FILTER (WHERE d.day < c.end_day - %(days)s) AS prev_count,
        sum(d.rating_sum) FILTER (WHERE d.day < c.end_day - %(days)s) AS prev_rating_sum
    FROM clients_feedbackdaily d JOIN c ON c.id = d.client_id
    WHERE d.day >= c.end_day - 2 * %(days)s AND d.day < c.end_day
    GROUP BY d.location_id
)
SELECT l.id, l.name, l.state, c.id AS client_id, c.name AS client_name,
    coalesce(agg.count, 0)::int AS count, coalesce(agg.rating_sum, 0)::int AS rating_sum,
    coalesce(agg.negative, 0)::int AS negative, coalesce(agg.rated, 0)::int AS rated,
    coalesce(agg.prev_count, 0)::int AS prev_count, coalesce(agg.prev_rating_sum, 0)::int AS prev_rating_sum
FROM clients_location l JOIN c ON c.id = l.client_id
LEFT JOIN agg ON agg.location_id = l.id
"""  # noqa: S608 - a fixed fragment; values are parameters


def location_rows(*, client_ids, days, now):
    """Every location of these clients: the last ``days`` local days (today included) and the
    ``days`` before them (count, rating sum, negative of the rated)."""
    return _fetch(_LOCATIONS_SQL, {"ids": list(client_ids), "days": days, "now": now})

"""Validating PulseBack feedback items and writing them in bulk.

Items arrive as raw dicts. Each is checked against the contract; a malformed
one is skipped with a reason (and never crashes a sync). Valid items are sent
to PostgreSQL a batch at a time as one JSON array, and one SQL statement
takes the fields out, upserts, records status changes and counts what was
created, updated and unchanged.
"""

import json
import math
from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from clients.models import Sentiment, Status

STATUSES = frozenset(Status.values)
SENTIMENTS = frozenset(Sentiment.values)


class MalformedItem(ValueError):
    pass


TEXT_FIELDS = ("customer_name", "customer_email", "comment", "source")


def item_check(item):
    """Raise MalformedItem (saying why) unless ``item`` follows the contract; the item is stored as is."""
    if not isinstance(item, dict):
        raise MalformedItem("item is not an object")
    pulseback_id = item.get("id")
    if not isinstance(pulseback_id, str) or not pulseback_id.strip() or len(pulseback_id) > 64:
        raise MalformedItem("missing or invalid id")
    try:
        created_at = datetime.fromisoformat(item["created_at"].replace("Z", "+00:00"))
    except (KeyError, AttributeError, TypeError, ValueError):
        raise MalformedItem("missing or invalid created_at") from None
    if created_at.tzinfo is None:
        raise MalformedItem("created_at has no time zone")
    rating = item.get("rating")
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise MalformedItem("rating is not an integer from 1 to 5")
    sentiment = item.get("sentiment")
    if sentiment is not None and sentiment not in SENTIMENTS:
        raise MalformedItem("unknown sentiment")
    score = item.get("sentiment_score")
    if score is not None and (
        isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score)
    ):
        raise MalformedItem("sentiment_score is not a number")
    if item.get("status") not in STATUSES:
        raise MalformedItem("unknown status")
    themes = item.get("themes")
    if themes is not None and (not isinstance(themes, list) or not all(isinstance(t, str) for t in themes)):
        raise MalformedItem("themes is not a list of text")
    for field in TEXT_FIELDS:
        if item.get(field) is not None and not isinstance(item[field], str):
            raise MalformedItem(f"{field} is not text")


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    status_changes: int = 0
    seen_earlier_in_run: int = 0


# One statement: read the previous versions, upsert, record status changes, count.
# All parts see the same snapshot, so ``previous`` holds the values before the upsert.
# ``content_hash`` is the MD5 of the item's jsonb text (jsonb orders keys: canonical).
UPSERT_SQL = """
WITH incoming AS (
    SELECT r AS raw, r->>'id' AS pulseback_id, (r->>'created_at')::timestamptz AS created_at,
        r->>'customer_name' AS customer_name, r->>'customer_email' AS customer_email,
        (r->>'rating')::smallint AS rating, r->>'comment' AS comment, r->>'sentiment' AS sentiment,
        (r->>'sentiment_score')::double precision AS sentiment_score,
        CASE WHEN jsonb_typeof(r->'themes') = 'array'
             THEN ARRAY(SELECT jsonb_array_elements_text(r->'themes')) ELSE '{}' END AS themes,
        r->>'status' AS status, coalesce(r->>'source', '') AS source
    FROM jsonb_array_elements(%(items)s::jsonb) AS r
),
previous AS (
    SELECT f.pulseback_id, f.status, f.content_hash, f.removed_at, f.last_seen_at
    FROM incoming i
    JOIN clients_feedback f ON f.location_id = %(location)s AND f.pulseback_id = i.pulseback_id
),
written AS (
    INSERT INTO clients_feedback AS f (
        location_id, client_id, pulseback_id, created_at, customer_name, customer_email, rating,
        comment, sentiment, sentiment_score, themes, status, source, raw, content_hash,
        first_seen_at, last_seen_at, removed_at)
    SELECT %(location)s, %(client)s, i.pulseback_id, i.created_at, i.customer_name, i.customer_email,
        i.rating, i.comment, i.sentiment, i.sentiment_score,
        i.themes, i.status, i.source, i.raw, md5(i.raw::text),
        %(now)s, %(now)s, NULL
    FROM incoming i
    ON CONFLICT (location_id, pulseback_id) DO UPDATE SET
        created_at = EXCLUDED.created_at, customer_name = EXCLUDED.customer_name,
        customer_email = EXCLUDED.customer_email, rating = EXCLUDED.rating, comment = EXCLUDED.comment,
        sentiment = EXCLUDED.sentiment, sentiment_score = EXCLUDED.sentiment_score,
        themes = EXCLUDED.themes, status = EXCLUDED.status, source = EXCLUDED.source,
        raw = EXCLUDED.raw, content_hash = EXCLUDED.content_hash,
        last_seen_at = EXCLUDED.last_seen_at, removed_at = NULL
    RETURNING f.id, f.pulseback_id, f.status, f.content_hash
),
history AS (
    INSERT INTO clients_feedbackstatuschange (feedback_id, old_status, new_status, seen_at)
    SELECT w.id, p.status, w.status, %(now)s
    FROM written w JOIN previous p USING (pulseback_id)
    WHERE p.status <> w.status
    RETURNING 1
)
SELECT
    count(*) FILTER (WHERE p.pulseback_id IS NULL),
    count(*) FILTER (WHERE p.pulseback_id IS NOT NULL
                     AND (p.content_hash <> w.content_hash OR p.removed_at IS NOT NULL)),
    count(*) FILTER (WHERE p.content_hash = w.content_hash AND p.removed_at IS NULL),
    (SELECT count(*) FROM history),
    count(*) FILTER (WHERE p.last_seen_at >= %(run_started)s)
FROM written w LEFT JOIN previous p USING (pulseback_id)
"""


def feedback_upsert(*, location, items, now, run_started):
    """Upsert checked items of one location. Duplicates in ``items`` are merged (last wins)."""
    unique = list({item["id"]: item for item in items}.values())
    if not unique:
        return UpsertResult()
    params = {
        "items": json.dumps(unique, ensure_ascii=False),
        "location": location.pk,
        "client": location.client_id,
        "now": now,
        "run_started": run_started,
    }
    with connection.cursor() as cursor:
        cursor.execute(UPSERT_SQL, params)
        created, updated, unchanged, changes, seen = cursor.fetchone()
    return UpsertResult(created, updated, unchanged, changes, seen)

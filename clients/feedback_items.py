"""Validating PulseBack feedback items and writing them in bulk.

Items arrive as raw dicts. Each is checked against the contract; a malformed
one is skipped with a reason (and never crashes a sync). Valid items are
upserted a batch at a time in one SQL statement that also records status
changes and counts what was created, updated and unchanged.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from clients.models import Sentiment, Status

STATUSES = frozenset(Status.values)
SENTIMENTS = frozenset(Sentiment.values)


class MalformedItem(ValueError):
    pass


def _text_or_none(item, key):
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise MalformedItem(f"{key} is not text")
    return value


def item_clean(item):
    """The row to store for a raw item, or MalformedItem saying why not."""
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
    if score is not None and (isinstance(score, bool) or not isinstance(score, int | float)):
        raise MalformedItem("sentiment_score is not a number")
    status = item.get("status")
    if status not in STATUSES:
        raise MalformedItem("unknown status")
    themes = item.get("themes") or []
    if not isinstance(themes, list) or not all(isinstance(t, str) for t in themes):
        raise MalformedItem("themes is not a list of text")
    source = _text_or_none(item, "source") or ""
    canonical = json.dumps(item, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return {
        "pulseback_id": pulseback_id,
        "created_at": created_at.isoformat(),
        "customer_name": _text_or_none(item, "customer_name"),
        "customer_email": _text_or_none(item, "customer_email"),
        "rating": rating,
        "comment": _text_or_none(item, "comment"),
        "sentiment": sentiment,
        "sentiment_score": score,
        "themes": themes,
        "status": status,
        "source": source,
        "raw": item,
        "content_hash": hashlib.md5(canonical.encode(), usedforsecurity=False).hexdigest(),
    }


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    status_changes: int = 0
    seen_earlier_in_run: int = 0


# One statement: read the previous versions, upsert, record status changes, count.
# All parts see the same snapshot, so ``previous`` holds the values before the upsert.
UPSERT_SQL = """
WITH incoming AS (
    SELECT * FROM jsonb_to_recordset(%(rows)s::jsonb) AS x(
        pulseback_id text, created_at timestamptz, customer_name text, customer_email text,
        rating smallint, comment text, sentiment text, sentiment_score double precision,
        themes jsonb, status text, source text, raw jsonb, content_hash text)
),
previous AS (
    SELECT f.pulseback_id, f.status, f.content_hash, f.removed_at, f.last_seen_at
    FROM clients_feedback f
    WHERE f.location_id = %(location)s AND f.pulseback_id IN (SELECT pulseback_id FROM incoming)
),
written AS (
    INSERT INTO clients_feedback AS f (
        location_id, client_id, pulseback_id, created_at, customer_name, customer_email, rating,
        comment, sentiment, sentiment_score, themes, status, source, raw, content_hash,
        first_seen_at, last_seen_at, removed_at)
    SELECT %(location)s, %(client)s, i.pulseback_id, i.created_at, i.customer_name, i.customer_email,
        i.rating, i.comment, i.sentiment, i.sentiment_score,
        ARRAY(SELECT jsonb_array_elements_text(i.themes)), i.status, i.source, i.raw, i.content_hash,
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


def feedback_upsert(*, location, rows, now, run_started):
    """Upsert cleaned rows of one location. Duplicates in ``rows`` are merged (last wins)."""
    unique = list({row["pulseback_id"]: row for row in rows}.values())
    if not unique:
        return UpsertResult()
    params = {
        "rows": json.dumps(unique, ensure_ascii=False),
        "location": location.pk,
        "client": location.client_id,
        "now": now,
        "run_started": run_started,
    }
    with connection.cursor() as cursor:
        cursor.execute(UPSERT_SQL, params)
        created, updated, unchanged, changes, seen = cursor.fetchone()
    return UpsertResult(created, updated, unchanged, changes, seen)

"""Validating PulseBack feedback items and writing them in bulk.

Items arrive as raw dicts. Each is checked against the contract; a malformed
one is skipped with a reason (and never crashes a sync). Valid items are
written a batch at a time: Python encodes each as a row of typed columns and hashes its
canonical JSON, a binary COPY stages the batch in a temporary table, and one
SQL statement upserts from it (rewriting only rows whose hash differs),
records status changes and counts what was created, updated and unchanged. A batch the caller
guesses all new is inserted, and upserted only if some of it was stored already.
"""

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from hashlib import blake2b
from struct import Struct
from typing import NamedTuple

import orjson
from django.db import connection, transaction

from clients.models import Sentiment, Status

STATUSES = frozenset(Status.values)
SENTIMENTS = frozenset(Sentiment.values)


class MalformedItem(ValueError):
    pass


TEXT_FIELDS = ("customer_name", "customer_email", "comment", "source")


def item_check(item):
    """Raise MalformedItem (saying why) unless ``item`` follows the contract; the item is stored as is.
    Returns its creation time."""
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
    return created_at


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    status_changes: int = 0
    seen_earlier_in_run: int = 0
    #: The client's local days whose roll-ups this batch changed: the days of created, changed and
    #: restored items (both the old and the new day of an item whose creation time changed); after
    #: a wrong guess of new items, the days of every item of the batch as well.
    touched_days: frozenset = frozenset()


# The stage: typed columns, filled by a binary COPY; emptied at every commit (and before each
# batch, in case several batches share one transaction). One per database session.
STAGE_COLUMNS = {
    "pulseback_id": "text", "created_at": "timestamptz", "customer_name": "text",
    "customer_email": "text", "rating": "smallint", "comment": "text", "sentiment": "text",
    "sentiment_score": "double precision", "themes": "text[]", "status": "text", "source": "text",
    "raw": "jsonb", "content_hash": "text",
}  # fmt: skip
# A batch lost in a database crash is fetched again (a walk resumes from the cursor saved beside
# it; any other run's check of the counts finds it missing): no need to wait for each commit to
# reach the disk.
STAGE_SQL = f"""
SET LOCAL synchronous_commit TO OFF;
CREATE TEMP TABLE IF NOT EXISTS feedback_stage (
    {", ".join(f"{name} {kind}" for name, kind in STAGE_COLUMNS.items())}
) ON COMMIT DELETE ROWS;
DELETE FROM pg_temp.feedback_stage;
"""  # noqa: S608 - constant names
COPY_SQL = f"COPY pg_temp.feedback_stage ({', '.join(STAGE_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
# Each item is encoded here as one tuple of PostgreSQL's binary COPY format (each field's length,
# then its value in its type's binary form), by the thread that fetches pages, so that the thread
# writing to PostgreSQL sends a batch as one block. (psycopg's own row encoders run in the writing
# thread, and those of lists and JSON in Python.)
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # the signature, no flags, no header extension
COPY_TRAILER = b"\xff\xff"
_FIELDS = Struct("!h").pack(len(STAGE_COLUMNS))
_LENGTH = Struct("!i")
_NULL = _LENGTH.pack(-1)
_SMALLINT = Struct("!ih")  # its length (2), its value
_DOUBLE = Struct("!id")
_TIMESTAMP = Struct("!iq")  # microseconds since 2000-01-01 00:00 UTC
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_JSONB_VERSION = b"\x01"
_TEXT_OID = 25
_ARRAY_HEADER = Struct("!iiIii")  # dimensions, has nulls, element type, length, lower bound
_EMPTY_ARRAY_FIELD = Struct("!iiiI").pack(12, 0, 0, _TEXT_OID)


def _texts(parts, values):
    """Append text fields (None: NULL) to ``parts``: each one's length, then its UTF-8."""
    for value in values:
        if value is None:
            parts.append(_NULL)
        else:
            data = value.encode()
            parts.append(_LENGTH.pack(len(data)))
            parts.append(data)


def _text_array(values):
    """A list of str as a text[] field (one dimension, no nulls): its length, then the array."""
    if not values:
        return _EMPTY_ARRAY_FIELD
    parts = [_ARRAY_HEADER.pack(1, 0, _TEXT_OID, len(values), 1)]
    _texts(parts, values)
    array = b"".join(parts)
    return _LENGTH.pack(len(array)) + array


# The staged items as new rows of the location, seen now: what both statements below insert.
_INSERT_FROM_STAGE = """
INSERT INTO clients_feedback AS f (
    location_id, client_id, pulseback_id, created_at, customer_name, customer_email, rating,
    comment, sentiment, sentiment_score, themes, status, source, raw, content_hash,
    first_seen_at, last_seen_at, removed_at)
SELECT %(location)s, %(client)s, s.pulseback_id, s.created_at, s.customer_name, s.customer_email,
    s.rating, s.comment, s.sentiment, s.sentiment_score, s.themes, s.status, s.source,
    s.raw, s.content_hash, %(now)s, %(now)s, NULL
FROM pg_temp.feedback_stage s"""


# One statement from the stage. All its parts see the snapshot from before it, so ``previous``
# holds the rows as they were (next to the incoming status and creation time); it reads them by
# one index probe per item (LIMIT 1 keeps the planner, which cannot know how many rows the
# location has, from scanning them all). Everything else is derived from it and the stage.
# - ``same``: stored with this hash and live. Not rewritten: only ``last_seen_at`` is set, once
#   per run (the sync compares it with the run's start); no indexed column changes, so the update
#   is HOT (no index entries) where the row's page has room.
# - otherwise inserted, or rewritten on conflict (changed, restored, or hashed by an earlier
#   recipe: the MD5 of the jsonb text). ``changed`` compares the documents when the hashes
#   differ, so a new recipe's hash replaces an old one without counting the item as updated.
#   A status differs only where the document does: those rows are rewritten.
UPSERT_SQL = f"""
WITH previous AS (
    SELECT f.*, s.status AS new_status, s.created_at AS new_created_at,
        f.content_hash = s.content_hash AND f.removed_at IS NULL AS same,
        CASE WHEN f.content_hash = s.content_hash THEN false ELSE f.raw <> s.raw END AS changed
    FROM pg_temp.feedback_stage s
    CROSS JOIN LATERAL (
        SELECT f.id, f.pulseback_id, f.status, f.created_at, f.removed_at, f.last_seen_at, f.content_hash,
            f.raw
        FROM clients_feedback f WHERE f.location_id = %(location)s AND f.pulseback_id = s.pulseback_id
        LIMIT 1
    ) f
),
written AS (
{_INSERT_FROM_STAGE}
    WHERE NOT EXISTS (SELECT FROM previous p WHERE p.pulseback_id = s.pulseback_id AND p.same)
    ON CONFLICT (location_id, pulseback_id) DO UPDATE SET
        created_at = EXCLUDED.created_at, customer_name = EXCLUDED.customer_name,
        customer_email = EXCLUDED.customer_email, rating = EXCLUDED.rating, comment = EXCLUDED.comment,
        sentiment = EXCLUDED.sentiment, sentiment_score = EXCLUDED.sentiment_score,
        themes = EXCLUDED.themes, status = EXCLUDED.status, source = EXCLUDED.source,
        raw = EXCLUDED.raw, content_hash = EXCLUDED.content_hash,
        last_seen_at = EXCLUDED.last_seen_at, removed_at = NULL
    WHERE f.content_hash IS DISTINCT FROM EXCLUDED.content_hash OR f.removed_at IS NOT NULL
),
seen AS (
    UPDATE clients_feedback f SET last_seen_at = %(now)s
    WHERE f.id = ANY(ARRAY(SELECT p.id FROM previous p WHERE p.same AND p.last_seen_at < %(run_started)s))
),
history AS (
    INSERT INTO clients_feedbackstatuschange (feedback_id, old_status, new_status, seen_at)
    SELECT id, status, new_status, %(now)s FROM previous WHERE status <> new_status
),
touched AS (
    SELECT s.created_at FROM pg_temp.feedback_stage s
    WHERE NOT EXISTS (SELECT FROM previous p WHERE p.pulseback_id = s.pulseback_id)
    UNION ALL
    SELECT new_created_at FROM previous WHERE changed OR removed_at IS NOT NULL
    UNION ALL
    SELECT created_at FROM previous WHERE changed AND removed_at IS NULL
)
SELECT
    (SELECT count(*) FROM pg_temp.feedback_stage) - count(*),
    count(*) FILTER (WHERE changed OR removed_at IS NOT NULL),
    count(*) FILTER (WHERE NOT changed AND removed_at IS NULL),
    count(*) FILTER (WHERE status <> new_status),
    count(*) FILTER (WHERE last_seen_at >= %(run_started)s),
    ARRAY(SELECT DISTINCT (created_at AT TIME ZONE %(tz)s)::date FROM touched)
FROM previous
"""  # noqa: S608 - constant text


# The items of a batch guessed all new (``feedback_upsert(expect_new=True)``): inserted (no index
# probe before the insert's own, no status history to look for), then the days of the batch.
INSERT_NEW_SQL = f"""
{_INSERT_FROM_STAGE}
ON CONFLICT (location_id, pulseback_id) DO NOTHING;
SELECT ARRAY(SELECT DISTINCT (s.created_at AT TIME ZONE %(tz)s)::date FROM pg_temp.feedback_stage s)
"""  # noqa: S608 - constant text


def canonical_json(item):
    """An item as canonical JSON (UTF-8, sorted keys, no spaces), as stored and hashed."""
    try:
        return orjson.dumps(item, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits: the standard library writes it
        return json.dumps(item, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def content_hash(text):
    """The fingerprint of an item's canonical JSON: 32 hex digits (a 128-bit BLAKE2b)."""
    return blake2b(text, digest_size=16).hexdigest()


def stage_row(item, created_at):
    """The stage's COPY tuple of a checked item (binary format), with its canonical JSON (jsonb:
    a version byte, then the text) and the hash of that. ``created_at``: the item's, as
    ``item_check`` parsed it."""
    text = canonical_json(item)
    get = item.get
    parts = [_FIELDS]
    _texts(parts, (item["id"],))
    parts.append(_TIMESTAMP.pack(8, (created_at - _EPOCH) // _MICROSECOND))
    _texts(parts, (get("customer_name"), get("customer_email")))
    parts.append(_SMALLINT.pack(2, item["rating"]))
    _texts(parts, (get("comment"), get("sentiment")))
    score = get("sentiment_score")
    parts.append(_NULL if score is None else _DOUBLE.pack(8, score))
    parts.append(_text_array(get("themes")))
    _texts(parts, (item["status"], get("source") or ""))
    parts.append(_LENGTH.pack(len(text) + 1))
    parts.append(_JSONB_VERSION)
    parts.append(text)
    _texts(parts, (content_hash(text),))
    return b"".join(parts)


class StagedItem(NamedTuple):
    """A checked item as its stage tuple (``stage_item``): what feedback_upsert copies."""

    pulseback_id: str
    row: bytes


def stage_item(item):
    """Check ``item`` (MalformedItem if it breaks the contract) and turn it into its stage tuple.

    A sync calls this in the thread that fetches pages, while its writing thread waits for
    PostgreSQL: the writing thread then only sends the tuples."""
    created_at = item_check(item)
    return StagedItem(item["id"], stage_row(item, created_at))


def feedback_upsert(*, location, items, now, run_started, expect_new=False):
    """Upsert items of one location: dicts (checked here: MalformedItem if one breaks the
    contract), or StagedItems. Duplicates in ``items`` are merged (last wins).

    ``expect_new``: the caller guesses that none of the items is stored yet (a first backfill).
    They are inserted first; if some were stored already, the batch goes through the upsert too:
    the same result either way (``touched_days`` may then hold more days), faster when the guess
    is right."""
    rows = {}
    for item in items:
        staged = item if isinstance(item, StagedItem) else stage_item(item)
        rows[staged.pulseback_id] = staged.row
    if not rows:
        return UpsertResult()
    params = {
        "location": location.pk,
        "client": location.client_id,
        "now": now,
        "run_started": run_started,
        "tz": location.client.timezone,
    }
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(STAGE_SQL)
        with cursor.copy(COPY_SQL) as copy:
            copy.write(b"".join((COPY_HEADER, *rows.values(), COPY_TRAILER)))
        inserted, batch_days = 0, []
        if expect_new:
            cursor.execute(INSERT_NEW_SQL, params)
            inserted = cursor.rowcount
            cursor.nextset()
            (batch_days,) = cursor.fetchone()
            if inserted == len(rows):
                return UpsertResult(created=inserted, touched_days=frozenset(batch_days))
        cursor.execute(UPSERT_SQL, params)
        created, updated, unchanged, changes, seen, days = cursor.fetchone()
    # The upsert found the rows just inserted again: stored unchanged, seen in this run. (Their days
    # are among the batch's: those of the items already stored may be refreshed needlessly.)
    return UpsertResult(
        created=created + inserted, updated=updated, unchanged=unchanged - inserted, status_changes=changes,
        seen_earlier_in_run=seen - inserted, touched_days=frozenset(batch_days + days),
    )  # fmt: skip


def feedback_statistics_refresh():
    """Refresh the planner's statistics of the feedback table's locations (a sample, whatever the
    table's size: tens of milliseconds). Until they include a location, PostgreSQL takes it for
    one with no rows, and may look an item up by the location's newest-first index (reading the
    location's rows one by one) instead of the (location, id) one: harmless on an empty location,
    quadratic on a large one. A backfill calls this when done, without waiting for autovacuum."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE clients_feedback (location_id)")

"""feedback_upsert: typed rows from a binary COPY, counts, status history, touched days, exactness."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection

from clients.feedback_items import (
    MalformedItem,
    UpsertResult,
    canonical_json,
    content_hash,
    feedback_upsert,
    stage_item,
)
from clients.models import Feedback, FeedbackStatusChange
from tests.factories import ClientFactory, LocationFactory

T1 = datetime(2026, 3, 12, 9, tzinfo=UTC)
T2 = T1 + timedelta(hours=6)
T3 = T2 + timedelta(minutes=5)
DAY = date(2026, 3, 10)


def item(pulseback_id, **fields):
    return {
        "id": pulseback_id,
        "created_at": "2026-03-10T12:00:00Z",
        "customer_name": "Ana Lima",
        "customer_email": "ana@example.test",
        "rating": 4,
        "comment": "Très bon café ☕",
        "sentiment": "positive",
        "sentiment_score": 0.8,
        "themes": ["service", "coffee"],
        "status": "new",
        "source": "qr",
        **fields,
    }


@pytest.fixture
def location(agency):
    return LocationFactory(client=ClientFactory(timezone="Europe/Paris"))


def upsert(location, items, *, now, run_started=None):
    return feedback_upsert(location=location, items=items, now=now, run_started=run_started or now)


def rows(location):
    return {row.pulseback_id: row for row in Feedback.objects.filter(location=location)}


def physical_address(row):
    """The row version's place in the table: it changes whenever the row is written."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT ctid::text FROM clients_feedback WHERE id = %s", [row.pk])
        return cursor.fetchone()[0]


def test_new_items_are_stored_in_typed_columns_with_their_json_and_its_hash(location):
    full = item("a")
    sparse = item(
        "b", customer_name=None, customer_email=None, comment=None, sentiment=None, sentiment_score=None,
        themes=None, source=None, rating=1, sentiment_extra={"nested": [1, 2.5, None, True]},
        big_number=2**70,
    )  # fmt: skip

    # Before PostgreSQL's epoch (2000-01-01), in another zone, to the microsecond; a whole score.
    odd = item("c", created_at="1999-12-31T23:59:59.000001-02:00", sentiment_score=1, themes=["ü", ""])

    result = upsert(location, [full, sparse, odd], now=T1)

    assert result == UpsertResult(
        created=3, touched_days=frozenset({DAY, date(2000, 1, 1)})
    )  # 02:59 on January 1 in Paris
    stored = rows(location)
    a, b, c = stored["a"], stored["b"], stored["c"]
    assert (c.created_at, c.sentiment_score, c.themes) == (
        datetime(2000, 1, 1, 1, 59, 59, 1, tzinfo=UTC), 1.0, ["ü", ""],
    )  # fmt: skip
    assert (a.created_at, a.customer_name, a.customer_email, a.rating, a.comment) == (
        datetime(2026, 3, 10, 12, tzinfo=UTC), "Ana Lima", "ana@example.test", 4, "Très bon café ☕",
    )  # fmt: skip
    assert (a.sentiment, a.sentiment_score, a.themes, a.status, a.source) == (
        "positive", 0.8, ["service", "coffee"], "new", "qr",
    )  # fmt: skip
    assert (b.customer_name, b.comment, b.sentiment, b.sentiment_score, b.themes, b.source) == (
        None, None, None, None, [], "",
    )  # fmt: skip
    assert (a.raw, b.raw) == (full, sparse)
    assert a.content_hash == content_hash(canonical_json(full)) and len(a.content_hash) == 32
    assert (a.client_id, a.first_seen_at, a.last_seen_at, a.removed_at) == (location.client_id, T1, T1, None)


def test_items_seen_unchanged_are_counted_and_only_marked_seen_once_per_run(location):
    items = [item("a"), item("b", rating=2)]
    upsert(location, items, now=T1)
    before = rows(location)

    second = upsert(location, items, now=T2)  # a later run
    after_second = rows(location)
    addresses = {key: physical_address(row) for key, row in after_second.items()}
    third = upsert(location, items, now=T3, run_started=T2)  # the same run sees them again

    assert second == UpsertResult(unchanged=2)
    assert third == UpsertResult(unchanged=2, seen_earlier_in_run=2)
    after_third = rows(location)
    for key, row in after_third.items():
        assert (row.first_seen_at, row.last_seen_at) == (T1, T2)
        assert (row.raw, row.content_hash) == (before[key].raw, before[key].content_hash)
        assert physical_address(row) == addresses[key]  # not written again
    assert not FeedbackStatusChange.objects.exists()


def test_a_status_change_is_recorded_with_old_and_new_status_and_when_it_was_seen(location):
    upsert(location, [item("a"), item("b")], now=T1)

    result = upsert(location, [item("a", status="reviewed"), item("b", comment="Edited")], now=T2)

    assert result == UpsertResult(updated=2, status_changes=1, touched_days=frozenset({DAY}))
    history = FeedbackStatusChange.objects.get()
    assert (history.feedback.pulseback_id, history.old_status, history.new_status, history.seen_at) == (
        "a",
        "new",
        "reviewed",
        T2,
    )
    stored = rows(location)
    assert (stored["a"].status, stored["a"].raw["status"], stored["b"].comment) == (
        "reviewed",
        "reviewed",
        "Edited",
    )
    assert stored["b"].content_hash == content_hash(canonical_json(item("b", comment="Edited")))
    assert (stored["a"].first_seen_at, stored["a"].last_seen_at) == (T1, T2)


def test_an_item_whose_creation_time_moves_touches_its_old_and_new_day(location):
    upsert(location, [item("a")], now=T1)

    result = upsert(location, [item("a", created_at="2026-03-14T23:30:00Z")], now=T2)

    # 23:30 UTC is 00:30 the next day in Paris: the client's local day counts.
    assert result.touched_days == {DAY, date(2026, 3, 15)}
    assert result.updated == 1


def test_a_removed_item_seen_again_is_restored_and_counted_as_updated(location):
    upsert(location, [item("a")], now=T1)
    Feedback.objects.filter(location=location).update(removed_at=T1)

    result = upsert(location, [item("a")], now=T2)

    assert result == UpsertResult(updated=1, touched_days=frozenset({DAY}))
    assert (rows(location)["a"].removed_at, rows(location)["a"].last_seen_at) == (None, T2)


def test_a_hash_of_the_earlier_recipe_is_replaced_without_counting_an_update(location):
    upsert(location, [item("a", status="reviewed")], now=T1)
    with connection.cursor() as cursor:  # how earlier versions hashed: MD5 of the jsonb text
        cursor.execute("UPDATE clients_feedback SET content_hash = md5(raw::text)")

    same = upsert(location, [item("a", status="reviewed")], now=T2)
    changed = upsert(location, [item("a", status="resolved")], now=T3)

    assert same == UpsertResult(unchanged=1)
    assert changed == UpsertResult(updated=1, status_changes=1, touched_days=frozenset({DAY}))
    assert rows(location)["a"].content_hash == content_hash(canonical_json(item("a", status="resolved")))
    assert list(FeedbackStatusChange.objects.values_list("old_status", "new_status")) == [
        ("reviewed", "resolved")
    ]


def test_duplicates_in_a_batch_are_merged_last_wins(location):
    result = upsert(location, [item("a"), item("a", status="resolved", rating=5)], now=T1)

    assert result.created == 1
    assert (rows(location)["a"].status, rows(location)["a"].rating) == ("resolved", 5)


def test_batches_in_one_transaction_each_count_only_their_own_items(location):
    # The test runs in one transaction: the stage is emptied between batches, not at commit.
    first = upsert(location, [item("a"), item("b")], now=T1)
    second = upsert(location, [item("c"), item("a", rating=1)], now=T2)
    third = upsert(location, [], now=T3)

    assert (first.created, second.created, second.updated, second.unchanged) == (2, 1, 1, 0)
    assert third == UpsertResult()
    assert sorted(rows(location)) == ["a", "b", "c"]


def test_other_locations_items_with_the_same_ids_are_apart(location):
    other = LocationFactory(client=location.client)
    upsert(location, [item("a")], now=T1)

    result = upsert(other, [item("a", rating=1)], now=T2)

    assert result.created == 1
    assert (rows(location)["a"].rating, rows(other)["a"].rating) == (4, 1)


def test_items_staged_ahead_are_checked_and_written_like_raw_ones(location):
    with pytest.raises(MalformedItem, match="rating"):
        stage_item(item("bad", rating=6))

    staged = [stage_item(item("a")), item("b", rating=2), stage_item(item("b", rating=3))]
    result = upsert(location, staged, now=T1)

    assert result == UpsertResult(created=2, touched_days=frozenset({DAY}))
    stored = rows(location)
    assert (stored["a"].raw, stored["b"].raw, stored["b"].rating) == (item("a"), item("b", rating=3), 3)
    assert stored["a"].content_hash == content_hash(canonical_json(item("a")))


def test_a_batch_guessed_new_is_inserted_with_what_an_upsert_would_say(location):
    result = feedback_upsert(location=location, items=[item("a"), item("b")], now=T1, run_started=T1,
                             expect_new=True)  # fmt: skip

    assert result == UpsertResult(created=2, touched_days=frozenset({DAY}))
    assert (rows(location)["a"].raw, rows(location)["a"].first_seen_at) == (item("a"), T1)


@pytest.mark.parametrize("expect_new", [False, True])
def test_a_wrong_guess_of_new_items_changes_nothing_in_the_outcome(location, expect_new):
    upsert(location, [item("seen"), item("moved"), item("gone"), item("again")], now=T1)
    Feedback.objects.filter(location=location, pulseback_id="gone").update(removed_at=T1)
    upsert(location, [item("again")], now=T2)  # seen earlier in this run
    batch = [
        item("new", created_at="2026-03-20T10:00:00Z"),
        item("seen"),
        item("moved", status="resolved"),
        item("gone"),
        item("again"),
    ]

    result = feedback_upsert(location=location, items=batch, now=T3, run_started=T2, expect_new=expect_new)

    assert result == UpsertResult(
        created=1, updated=2, unchanged=2, status_changes=1, seen_earlier_in_run=1,
        touched_days=frozenset({DAY, date(2026, 3, 20)}),
    )  # fmt: skip
    stored = rows(location)
    assert (stored["moved"].status, stored["gone"].removed_at, stored["new"].first_seen_at) == (
        "resolved", None, T3,
    )  # fmt: skip
    history = FeedbackStatusChange.objects.values_list("feedback__pulseback_id", "old_status", "new_status")
    assert list(history) == [("moved", "new", "resolved")]

"""Roll-ups (daily, and their monthly sums) equal a GROUP BY over the live feedback rows: after
real syncs (backfill, incremental with status changes, reconcile with removals), after every batch
outside a full walk, after a walk that stops half-way, and after refreshes of explicit days."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection

from clients.models import Feedback, FeedbackDaily, FeedbackStatusChange, SyncKind, SyncState
from clients.pulseback import Unavailable
from clients.rollups import feedback_daily_refresh_days
from clients.sync import location_sync
from tests.factories import ClientFactory, FeedbackFactory, LocationFactory, rollup

SENTIMENTS = """count(*) FILTER (WHERE sentiment = 'positive'), count(*) FILTER (WHERE sentiment = 'neutral'),
    count(*) FILTER (WHERE sentiment = 'negative')"""
EXPECTED_DAILY = f"""
SELECT (created_at AT TIME ZONE %(tz)s)::date AS day, count(*), sum(rating),
    count(*) FILTER (WHERE rating = 1), count(*) FILTER (WHERE rating = 2),
    count(*) FILTER (WHERE rating = 3), count(*) FILTER (WHERE rating = 4),
    count(*) FILTER (WHERE rating = 5), {SENTIMENTS},
    count(*) FILTER (WHERE status = 'new'), count(*) FILTER (WHERE status = 'reviewed'),
    count(*) FILTER (WHERE status = 'resolved')
FROM clients_feedback WHERE location_id = %(location)s AND removed_at IS NULL
GROUP BY day ORDER BY day
"""  # noqa: S608 - constant text
EXPECTED_TAGS = f"""
SELECT day, 'theme', theme, count(*), sum(rating), {SENTIMENTS}
FROM (SELECT DISTINCT id, (created_at AT TIME ZONE %(tz)s)::date AS day, rating, sentiment,
        unnest(themes) AS theme
      FROM clients_feedback WHERE location_id = %(location)s AND removed_at IS NULL) AS tagged
GROUP BY day, theme
UNION ALL
SELECT (created_at AT TIME ZONE %(tz)s)::date AS day, 'source', source, count(*), sum(rating), {SENTIMENTS}
FROM clients_feedback WHERE location_id = %(location)s AND removed_at IS NULL
GROUP BY day, source
ORDER BY 1, 2, 3
"""  # noqa: S608 - constant text
EXPECTED_MONTHLY = f"""
SELECT date_trunc('month', (created_at AT TIME ZONE %(tz)s)::date::timestamp)::date AS month, count(*),
    count(*) FILTER (WHERE status = 'new'), count(*) FILTER (WHERE status = 'reviewed'),
    count(*) FILTER (WHERE status = 'resolved'), {SENTIMENTS}
FROM clients_feedback WHERE location_id = %(location)s AND removed_at IS NULL
GROUP BY month ORDER BY month
"""  # noqa: S608 - constant text
STORED_MONTHLY = """
SELECT month, count, status_new, status_reviewed, status_resolved, positive, neutral, negative
FROM clients_feedbackmonthly WHERE location_id = %(location)s AND client_id = %(client)s ORDER BY month
"""
STORED_DAILY = """
SELECT day, count, rating_sum, rating_1, rating_2, rating_3, rating_4, rating_5, positive, neutral, negative,
    status_new, status_reviewed, status_resolved
FROM clients_feedbackdaily WHERE location_id = %(location)s AND client_id = %(client)s ORDER BY day
"""
STORED_TAGS = """
SELECT day, kind, value, count, rating_sum, positive, neutral, negative
FROM clients_feedbackdailytag WHERE location_id = %(location)s AND client_id = %(client)s ORDER BY 1, 2, 3
"""


def fetch(sql, location):
    params = {"location": location.pk, "client": location.client_id, "tz": location.client.timezone}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def assert_rollups_equal_rows(location):
    expected_daily = fetch(EXPECTED_DAILY, location)
    assert fetch(STORED_DAILY, location) == expected_daily
    assert fetch(STORED_TAGS, location) == fetch(EXPECTED_TAGS, location)
    assert fetch(STORED_MONTHLY, location) == fetch(EXPECTED_MONTHLY, location)
    assert (
        sum(row[1] for row in expected_daily)
        == Feedback.objects.filter(location=location, removed_at__isnull=True).count()
    )


def sync(location, kind):
    run = location_sync(location_id=location.pk, kind=kind)
    assert run.state == SyncState.SUCCEEDED, (run.state, run.error)
    return run


def test_rollups_equal_the_rows_after_backfill_incremental_and_reconcile(
    sandbox, sandbox_account, make_location
):
    email = sandbox_account(items=400)
    location = make_location(email)

    sync(location, SyncKind.BACKFILL)
    assert_rollups_equal_rows(location)
    assert Feedback.objects.filter(location=location).count() == 400

    new_ids = sandbox.add_items(email, count=12)
    sync(location, SyncKind.INCREMENTAL)
    assert_rollups_equal_rows(location)

    changed = sandbox.set_status(email, new_ids[:6], "resolved")
    sync(location, SyncKind.INCREMENTAL)
    assert_rollups_equal_rows(location)
    assert set(FeedbackStatusChange.objects.values_list("feedback__pulseback_id", flat=True)) == set(changed)

    truth = sandbox.ground_truth(email)
    gone = [entry["id"] for entry in truth[50:54]]
    sandbox.remove_items(email, gone)
    old = [entry["id"] for entry in truth[-8:] if entry["status"] != "reviewed"]
    sandbox.set_status(email, old, "reviewed")
    run = sync(location, SyncKind.RECONCILE)
    assert_rollups_equal_rows(location)
    assert run.removed == 4
    assert set(
        Feedback.objects.filter(removed_at__isnull=False).values_list("pulseback_id", flat=True)
    ) == set(gone)


def test_rollups_equal_the_rows_after_every_batch_outside_a_walk(
    sandbox, sandbox_account, make_location, settings, small_batches
):
    """An incremental's batches refresh their days in their own transactions: the lists' totals,
    read from the roll-ups, stay exact while it runs."""
    email = sandbox_account(items=2300)
    location = make_location(email)
    settings.SYNC_INCREMENTAL_DAYS = 1000  # the whole list: several batches
    batches = []

    def check(run):
        assert_rollups_equal_rows(location)
        batches.append(run.fetched)

    sandbox.set_faults(status_changes_per_request=5)
    run = location_sync(location_id=location.pk, kind=SyncKind.INCREMENTAL, on_progress=check)
    sandbox.clear_faults()

    assert run.state in (SyncState.SUCCEEDED, SyncState.PARTIAL) and len(batches) >= 3
    assert_rollups_equal_rows(location)


def test_a_walk_builds_the_rollups_once_and_on_its_way_out_when_it_stops(
    sandbox, sandbox_account, make_location, small_batches
):
    email = sandbox_account(items=2500)
    location = make_location(email)
    daily_rows = []

    def fail_after_the_first_batch(run):
        daily_rows.append(FeedbackDaily.objects.filter(location=location).count())
        sandbox.set_faults(api_5xx_next=10_000)

    with pytest.raises(Unavailable):
        location_sync(location_id=location.pk, kind=SyncKind.BACKFILL, on_progress=fail_after_the_first_batch)
    sandbox.clear_faults()

    assert daily_rows[0] == 0  # the walk's batches leave the roll-ups to its end
    assert 0 < Feedback.objects.filter(location=location).count() < 2500
    assert_rollups_equal_rows(location)  # built on the way out

    sync(location, SyncKind.BACKFILL)  # resumes the walk

    assert Feedback.objects.filter(location=location).count() == 2500
    assert_rollups_equal_rows(location)


@pytest.fixture
def paris(agency):
    location = LocationFactory(client=ClientFactory(timezone="Europe/Paris"))
    times = [
        datetime(2026, 1, 5, 10, tzinfo=UTC),
        datetime(2026, 3, 28, 22, 30, tzinfo=UTC),  # 23:30 on March 28 in Paris
        datetime(2026, 3, 28, 23, 30, tzinfo=UTC),  # 00:30 on March 29, the night summer time starts
        datetime(2026, 3, 29, 21, 59, tzinfo=UTC),  # 23:59 on March 29 (UTC+2 by then)
        datetime(2026, 3, 29, 22, 0, tzinfo=UTC),  # midnight: March 30
        datetime(2026, 9, 1, 8, tzinfo=UTC),
    ]
    for i, created_at in enumerate(times):
        FeedbackFactory(
            location=location, created_at=created_at, rating=1 + i % 5, themes=["service", "price"][: i % 3],
            source=["qr", "sms"][i % 2], sentiment=["negative", None, "positive"][i % 3],
        )  # fmt: skip
    rollup(location.client)
    return location


def daily(location):
    return {row[0]: row[1:] for row in fetch(STORED_DAILY, location)}


def test_rollups_are_built_on_the_clients_local_days(paris):
    assert {day: counts[0] for day, counts in daily(paris).items()} == {
        date(2026, 1, 5): 1, date(2026, 3, 28): 1, date(2026, 3, 29): 2, date(2026, 3, 30): 1,
        date(2026, 9, 1): 1,
    }  # fmt: skip
    assert_rollups_equal_rows(paris)


def test_refreshing_explicit_days_recomputes_those_days_only(paris):
    Feedback.objects.filter(created_at=datetime(2026, 3, 28, 23, 30, tzinfo=UTC)).update(
        rating=5, status="resolved"
    )
    Feedback.objects.filter(created_at=datetime(2026, 9, 1, 8, tzinfo=UTC)).update(
        removed_at=datetime.now(UTC)
    )
    Feedback.objects.filter(created_at=datetime(2026, 1, 5, 10, tzinfo=UTC)).update(rating=1)  # not refreshed
    stale_january = daily(paris)[date(2026, 1, 5)]

    feedback_daily_refresh_days(location=paris, days={date(2026, 3, 29), date(2026, 9, 1)})

    after = daily(paris)
    assert date(2026, 9, 1) not in after  # no live feedback left that day
    assert after[date(2026, 1, 5)] == stale_january
    expected = {row[0]: row[1:] for row in fetch(EXPECTED_DAILY, paris)}
    assert after[date(2026, 3, 29)] == expected[date(2026, 3, 29)]
    assert (after[date(2026, 3, 29)][0], after[date(2026, 3, 29)][12]) == (2, 1)  # count, resolved
    assert after[date(2026, 3, 28)] == expected[date(2026, 3, 28)]

    feedback_daily_refresh_days(location=paris, days={date(2026, 1, 5)})
    assert_rollups_equal_rows(paris)


def test_refreshing_days_far_apart_reads_each_range_and_nothing_between(paris):
    far = [date(2026, 1, 5) + timedelta(days=n) for n in (0, 1, 2, 200)]
    Feedback.objects.filter(location=paris).update(rating=3)

    feedback_daily_refresh_days(location=paris, days=set(far) | {date(2026, 3, 30)})

    after = daily(paris)
    assert after[date(2026, 1, 5)][1] == 3  # rating sum, recomputed
    assert after[date(2026, 3, 30)][1] == 3
    assert after[date(2026, 3, 29)][1] == 3 + 4  # not asked: still the old figures

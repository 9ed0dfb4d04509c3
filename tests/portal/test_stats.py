"""feedback_stats: the roll-ups give the same figures as aggregating the raw feedback table."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from clients.models import Feedback, FeedbackDaily, SyncKind
from clients.rollups import feedback_daily_refresh_days
from clients.selectors import feedback_stats
from clients.sync import location_sync
from tests.factories import ClientFactory, FeedbackFactory, LocationFactory, rollup

PARIS = ZoneInfo("Europe/Paris")


def naive_stats(rows):
    rows = [row for row in rows if row.removed_at is None]
    count = len(rows)
    sentiments = Counter(row.sentiment for row in rows)
    rated = sentiments["positive"] + sentiments["neutral"] + sentiments["negative"]
    return {
        "count": count,
        "average_rating": sum(row.rating for row in rows) / count if count else None,
        "sentiment": {key: sentiments[key] for key in ("positive", "neutral", "negative")},
        "negative_share": sentiments["negative"] / rated if rated else None,
        "resolved_share": sum(row.status == "resolved" for row in rows) / count if count else None,
        "backlog_new": sum(row.status == "new" for row in rows),
        "rating_distribution": {n: sum(row.rating == n for row in rows) for n in range(1, 6)},
    }


def between(queryset, start, end):
    return list(queryset.filter(created_at__gte=start, created_at__lt=end))


@pytest.fixture
def spread(agency):
    """Items every 7 hours over 20 days for two locations of a Paris client (varied fields)."""
    client = ClientFactory(timezone="Europe/Paris")
    locations = [LocationFactory(client=client), LocationFactory(client=client)]
    start = datetime(2026, 3, 20, tzinfo=UTC)  # spans the switch to summer time (March 29)
    for i in range(70):
        FeedbackFactory(
            location=locations[i % 2],
            created_at=start + timedelta(hours=7 * i),
            rating=1 + i % 5,
            sentiment=[None, "positive", "neutral", "negative"][i % 4],
            status=["new", "reviewed", "resolved"][i % 3],
            removed_at=start if i % 11 == 0 else None,
        )
    rollup(client)
    return client, locations


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(2026, 3, 22, tzinfo=PARIS), datetime(2026, 4, 2, tzinfo=PARIS)),  # whole local days
        (datetime(2026, 3, 21, 13, 30, tzinfo=UTC), datetime(2026, 4, 3, 5, tzinfo=UTC)),  # ragged edges
        (datetime(2026, 3, 25, 3, tzinfo=UTC), datetime(2026, 3, 25, 20, tzinfo=UTC)),  # within one day
        (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)),  # everything
        (datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC)),  # nothing
    ],
)
def test_stats_match_raw_aggregation(spread, start, end):
    client, locations = spread

    assert feedback_stats(client_id=client.pk, start=start, end=end) == naive_stats(
        between(Feedback.objects.filter(client=client), start, end)
    )
    assert feedback_stats(location_id=locations[1].pk, start=start, end=end) == naive_stats(
        between(Feedback.objects.filter(location=locations[1]), start, end)
    )


def test_stats_of_every_client_add_up_across_time_zones(spread):
    other = ClientFactory(timezone="America/New_York")
    FeedbackFactory(location=LocationFactory(client=other), created_at=datetime(2026, 3, 24, 2, tzinfo=UTC))
    rollup(other)
    start, end = datetime(2026, 3, 21, 13, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)

    stats = feedback_stats(start=start, end=end)

    assert stats == naive_stats(between(Feedback.objects.all(), start, end))


def test_days_are_the_clients_local_days(agency):
    client = ClientFactory(timezone="Pacific/Auckland")
    # 20:00 UTC on March 10 is already March 11 in Auckland.
    item = FeedbackFactory(
        location=LocationFactory(client=client), created_at=datetime(2026, 3, 10, 20, tzinfo=UTC)
    )
    rollup(client)

    assert list(FeedbackDaily.objects.filter(client=client).values_list("day", flat=True)) == [
        item.created_at.astimezone(ZoneInfo("Pacific/Auckland")).date()
    ]


def test_refresh_recomputes_only_the_touched_days(agency):
    client = ClientFactory(timezone="UTC")
    location = LocationFactory(client=client)
    FeedbackFactory(location=location, created_at=datetime(2026, 3, 1, 9, tzinfo=UTC))
    rollup(client)
    late = FeedbackFactory(location=location, created_at=datetime(2026, 3, 2, 9, tzinfo=UTC), rating=2)
    Feedback.objects.filter(pk=late.pk).update(status="resolved")

    feedback_daily_refresh_days(location=location, days={date(2026, 3, 2)})

    days = {row.day.day: row for row in FeedbackDaily.objects.filter(location=location)}
    assert (days[1].count, days[2].count, days[2].rating_2, days[2].status_resolved) == (1, 1, 1, 1)


def test_the_sync_keeps_roll_ups_current(sandbox, sandbox_account, make_location):
    email = sandbox_account(items=260)
    location = make_location(email)
    location_sync(location_id=location.pk, kind=SyncKind.BACKFILL)
    gone = [item["id"] for item in sandbox.ground_truth(email)[10:14]]
    sandbox.remove_items(email, gone)
    sandbox.add_items(email, count=5)
    location_sync(location_id=location.pk, kind=SyncKind.INCREMENTAL)
    start, end = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    everything = Feedback.objects.filter(location=location)

    assert feedback_stats(client_id=location.client_id, start=start, end=end) == naive_stats(everything)

    location_sync(location_id=location.pk, kind=SyncKind.RECONCILE)

    stats = feedback_stats(client_id=location.client_id, start=start, end=end)
    assert stats == naive_stats(everything.all())
    assert stats["count"] == 260 + 5 - 4


def test_the_migration_builds_roll_ups_of_feedback_synced_before_them(spread):
    from importlib import import_module

    from django.db import connection

    from clients.models import FeedbackDailyTag

    def snapshot():
        daily = FeedbackDaily.objects.order_by("location_id", "day").values_list(
            "location_id", "day", "count", "rating_sum", "negative", "status_new"
        )
        tags = FeedbackDailyTag.objects.order_by("location_id", "day", "kind", "value").values_list(
            "location_id", "day", "kind", "value", "count", "negative"
        )
        return list(daily), list(tags)

    built_by_sync = snapshot()
    FeedbackDaily.objects.all().delete()
    FeedbackDailyTag.objects.all().delete()

    with connection.cursor() as cursor:
        cursor.execute(import_module("clients.migrations.0003_feedback_rollups").BUILD_SQL)

    assert snapshot() == built_by_sync and built_by_sync[0] and built_by_sync[1]

"""feedback_total: the lists' exact totals, from the roll-ups for PulseBack's own filters (monthly and
daily, and the rows of the local day a window's start cuts through), else by counting the rows."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import Feedback, Sentiment, Status
from clients.selectors import feedback_matching, feedback_total
from clients.workflow.models import FeedbackHandling
from tests.factories import ClientFactory, FeedbackFactory, LocationFactory, rollup

AUCKLAND, LOS_ANGELES = ZoneInfo("Pacific/Auckland"), ZoneInfo("America/Los_Angeles")
NOWS = {
    # 04:30 in Auckland (UTC+13), 07:30 in Los Angeles (UTC-8): every window starts mid-day in both.
    "mid-day in both zones": datetime(2026, 1, 20, 15, 30, tzinfo=UTC),
    # Midnight in Auckland: its windows start on a whole local day.
    "midnight in Auckland": datetime(2026, 1, 20, 11, tzinfo=UTC),
    # A day after 01:30 on March 8 in Los Angeles, the 23-hour day summer time starts.
    "summer time in Los Angeles": datetime(2026, 3, 9, 9, 30, tzinfo=UTC),
}
DAYS = (1, 2, 3, 7, 30, 45)
VALUES = [{}, *({"status": s} for s in Status.values), *({"sentiment": s} for s in Sentiment.values)]


def spread(now, locations):
    """Items every 47 minutes over the last four and a half days, every 9.5 hours over 50 days, on
    each window's start and a microsecond before it; in every status and sentiment (or none); some
    removed."""
    times = [now - timedelta(minutes=47 * k) for k in range(140)]
    times += [now - timedelta(hours=9.5 * k) for k in range(12, 127)]
    times += [now - timedelta(days=n, microseconds=m) for n in DAYS for m in (0, 1)]
    items = [
        FeedbackFactory.build(
            location=location, client=location.client, created_at=created_at, rating=1 + k % 5,
            status=Status.values[k % 3], sentiment=[*Sentiment.values, None][k % 4],
            removed_at=now if k % 11 == 0 else None,
        )
        for n, created_at in enumerate(times)
        for k, location in enumerate(locations, start=n)
    ]  # fmt: skip
    Feedback.objects.bulk_create(items)


@pytest.fixture
def two_zones(agency):
    """Kiwi (Auckland, two locations) and Surf (Los Angeles), with their items around ``now``."""

    def make(now):
        kiwi, surf = (
            ClientFactory(name="Kiwi", timezone=AUCKLAND.key),
            ClientFactory(timezone=LOS_ANGELES.key),
        )
        locations = [LocationFactory(client=kiwi), LocationFactory(client=kiwi), LocationFactory(client=surf)]
        spread(now, locations)
        rollup(kiwi, surf)  # as the sync does with what it writes
        return kiwi, surf, locations

    return make


@pytest.mark.parametrize("now", NOWS.values(), ids=NOWS)
def test_rollup_totals_equal_the_rows_for_each_pulseback_filter_and_window(two_zones, owner, viewer_of, now):
    kiwi, surf, locations = two_zones(now)
    edges = {
        (now - timedelta(days=n)).astimezone(zone).time() for n in DAYS for zone in (AUCKLAND, LOS_ANGELES)
    }
    assert edges - {time()}  # the windows' starts cut through local days
    scopes = [{}, {"client": kiwi.pk}, {"client": surf.pk}, {"location": locations[1].pk}]
    windows = [None, *(now - timedelta(days=n) for n in DAYS)]

    with time_machine.travel(now, tick=False):
        for user in (owner, viewer_of(kiwi)):
            for filters in ({**s, **v, "created_from": w} for s in scopes for v in VALUES for w in windows):
                with CaptureQueriesContext(connection) as queries:
                    total = feedback_total(user=user, **filters)

                assert total == feedback_matching(user=user, **filters).count(), (user.role, filters)
                assert "clients_feedbackmonthly" in queries.captured_queries[-1]["sql"]


def test_a_client_viewer_counts_only_their_client(two_zones, viewer_of):
    kiwi, surf, locations = two_zones(NOWS["mid-day in both zones"])
    viewer = viewer_of(surf)

    assert feedback_total(user=viewer) == Feedback.objects.filter(client=surf, removed_at=None).count() > 0
    assert feedback_total(user=viewer, client=kiwi.pk) == 0
    assert feedback_total(user=viewer, location=locations[0].pk, status=Status.NEW) == 0


FALLBACKS = {
    "status and sentiment": {"status": Status.NEW, "sentiment": Sentiment.NEGATIVE},
    "rating": {"rating": 4},
    "source": {"source": "qr"},
    "theme": {"theme": "service"},
    "q": {"q": "lovely"},
    "until": {"created_before": NOWS["mid-day in both zones"] - timedelta(days=2)},
    "window and until": {
        "created_from": NOWS["mid-day in both zones"] - timedelta(days=3),
        "created_before": NOWS["mid-day in both zones"] - timedelta(days=1),
    },
    "assignee": {"assignee": "none"},
    "handled": {"handled": False},
    "tag": {"tag": "vip"},
}


@pytest.mark.parametrize("filters", FALLBACKS.values(), ids=FALLBACKS)
def test_other_filters_count_the_matching_rows(two_zones, owner, filters):
    two_zones(NOWS["mid-day in both zones"])
    some = Feedback.objects.order_by("pk")[::7]
    for item in some:
        FeedbackHandling.objects.create(
            feedback=item, assignee=owner, tags=["vip"], handled_at=item.created_at
        )

    with CaptureQueriesContext(connection) as queries:
        total = feedback_total(user=owner, **filters)

    assert total == feedback_matching(user=owner, **filters).count() > 0
    assert not any("clients_feedbackmonthly" in query["sql"] for query in queries.captured_queries)

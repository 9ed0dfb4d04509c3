"""Each alert kind fires when it should, once, and not when muted; emails per alert or as a digest."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from clients.alerts.models import Alert, AlertKind, AlertRule
from clients.alerts.services import alert_email, alerts_after_sync, alerts_check, alerts_digest_send
from clients.models import ConnectionState, Sentiment, Status, SyncKind, SyncRun
from tests.factories import FeedbackFactory, LocationFactory, rollup

NOW = datetime(2026, 10, 20, 12, tzinfo=UTC)


@pytest.fixture
def location(agency):
    connected = NOW - timedelta(days=60)
    return LocationFactory(client__name="Bistro Verde", client__timezone="UTC", name="Main Street",
                           state=ConnectionState.CONNECTED, connected_at=connected)  # fmt: skip


def negative(location, when, **fields):
    fields = {"rating": 1, "sentiment": Sentiment.NEGATIVE, "status": Status.REVIEWED, **fields}
    return FeedbackFactory(location=location, created_at=when, **fields)


def test_negative_feedback_after_a_sync_raises_one_alert(location, django_capture_on_commit_callbacks):
    run = SyncRun.objects.create(location=location, kind=SyncKind.INCREMENTAL, started_at=timezone.now())
    negative(location, NOW)
    negative(location, NOW, rating=2, sentiment=Sentiment.NEUTRAL)
    FeedbackFactory(location=location, created_at=NOW, rating=5)

    with django_capture_on_commit_callbacks() as emails:
        alert = alerts_after_sync(run=run)
        again = alerts_after_sync(run=run)

    assert alert.message == "2 new negative reviews at Bistro Verde — Main Street (lowest rating 1★)."
    assert again is None
    assert len(emails) == 1


def test_an_item_written_in_the_second_the_location_connected_is_new(location):
    location.connected_at = NOW.replace(microsecond=669817)
    location.save()
    run = SyncRun.objects.create(location=location, kind=SyncKind.INCREMENTAL, started_at=timezone.now())
    negative(location, NOW)  # PulseBack's whole second, just before the connection's microseconds

    assert alerts_after_sync(run=run).message.startswith("1 new negative review at")


def test_old_items_found_by_a_later_full_walk_raise_nothing(location):
    location.connected_at = NOW
    location.save()
    run = SyncRun.objects.create(location=location, kind=SyncKind.RECONCILE, started_at=timezone.now())
    negative(location, NOW - timedelta(days=3))

    assert alerts_after_sync(run=run) is None


def test_old_items_found_by_a_first_backfill_raise_nothing(location):
    location.connected_at = None
    location.save()
    run = SyncRun.objects.create(location=location, kind=SyncKind.BACKFILL, started_at=timezone.now())
    negative(location, NOW - timedelta(days=300))

    assert alerts_after_sync(run=run) is None


def test_a_muted_rule_raises_nothing(location):
    AlertRule.objects.create(kind=AlertKind.NEGATIVE, muted=True)
    run = SyncRun.objects.create(location=location, kind=SyncKind.INCREMENTAL, started_at=timezone.now())
    negative(location, NOW)

    assert alerts_after_sync(run=run) is None
    assert not Alert.objects.exists()


def test_a_spike_is_judged_against_the_location_own_usual_rate(location):
    for day in range(1, 29):  # usually one negative a day
        negative(location, NOW - timedelta(days=day + 1))
    rollup(location.client)
    for hour in range(4):  # four in the last 24 hours: within chance for this location
        negative(location, NOW - timedelta(hours=hour))

    assert [a.kind for a in alerts_check(now=NOW)] == []

    for hour in range(4, 9):  # nine: far beyond its usual rate
        negative(location, NOW - timedelta(hours=hour))
    (alert,) = [a for a in alerts_check(now=NOW) if a.kind == AlertKind.SPIKE]
    assert alert.message == "9 negative reviews at Bistro Verde — Main Street in 24 hours; usually 1.0 a day."


def test_a_quiet_location_alerts_once_per_silence(location):
    FeedbackFactory(location=location, created_at=NOW - timedelta(days=10), status=Status.RESOLVED)

    first = alerts_check(now=NOW)
    second = alerts_check(now=NOW + timedelta(hours=1))

    assert [a.kind for a in first] == [AlertKind.SILENCE]
    assert second == []


def test_new_items_left_unresolved(location):
    FeedbackFactory(location=location, created_at=NOW - timedelta(hours=50), status=Status.NEW)
    FeedbackFactory(location=location, created_at=NOW - timedelta(hours=1), status=Status.NEW)
    AlertRule.objects.create(kind=AlertKind.UNRESOLVED, client=location.client, unresolved_hours=24)

    (alert,) = [a for a in alerts_check(now=NOW) if a.kind == AlertKind.UNRESOLVED]

    assert alert.message == "1 item of Bistro Verde still new after 24 hours."


def test_immediate_email_goes_to_owners_and_admins(location, owner):
    alert = Alert.objects.create(kind=AlertKind.SILENCE, client=location.client, key="k", message="Quiet.")

    alert_email(alert_id=alert.pk)
    alert_email(alert_id=alert.pk)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [owner.email]
    assert mail.outbox[0].subject == "Bistro Verde: No new feedback"


def test_digest_sends_one_email_for_all_pending(location):
    AlertRule.objects.create(kind=AlertKind.SILENCE, digest=True, recipients=["ops@alpha.example"])
    for key in ("a", "b", "c"):
        Alert.objects.create(kind=AlertKind.SILENCE, client=location.client, key=key, message=f"Alert {key}.")

    assert alerts_digest_send() == 3
    assert alerts_digest_send() == 0

    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "3 alerts for your clients"
    assert mail.outbox[0].to == ["ops@alpha.example"]

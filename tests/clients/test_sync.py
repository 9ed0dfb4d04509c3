"""The sync against the sandbox over real HTTP: exact equality with its ground truth."""

import logging
from datetime import datetime

import pytest

from clients.models import ConnectionState, Feedback, FeedbackStatusChange, Location, SyncKind, SyncState
from clients.pulseback import PulseBackError
from clients.sync import location_sync

FIELDS = (
    "customer_name", "customer_email", "rating", "comment", "sentiment",
    "sentiment_score", "themes", "status", "source",
)  # fmt: skip


def stored(location, *, removed=False):
    rows = Feedback.objects.filter(location=location, removed_at__isnull=not removed)
    return {row.pulseback_id: row for row in rows}


def assert_matches_ground_truth(location, truth):
    rows = stored(location)
    assert Feedback.objects.filter(location=location, removed_at__isnull=True).count() == len(truth)
    assert set(rows) == {item["id"] for item in truth}
    for item in truth:
        row = rows[item["id"]]
        assert {f: getattr(row, f) for f in FIELDS} == {
            f: item[f] if f != "themes" else item[f] or [] for f in FIELDS
        }
        assert row.created_at == datetime.fromisoformat(item["created_at"].replace("Z", "+00:00"))
        assert row.raw == item


def sync(location, kind):
    return location_sync(location_id=location.pk, kind=kind)


def test_backfill_stores_every_item_exactly_once(sandbox, sandbox_account, make_location):
    email = sandbox_account(items=730)
    location = make_location(email)

    run = sync(location, SyncKind.BACKFILL)

    assert_matches_ground_truth(location, sandbox.ground_truth(email))
    assert (run.state, run.created, run.fetched, run.pages, run.expected) == (
        SyncState.SUCCEEDED,
        730,
        730,
        8,
        730,
    )
    location.refresh_from_db()
    assert location.state == ConnectionState.CONNECTED
    assert location.last_synced_at and location.backfilled_at and location.connected_at


def test_incremental_pull_brings_new_items(sandbox, sandbox_account, make_location):
    email = sandbox_account(items=120)
    location = make_location(email)
    sync(location, SyncKind.BACKFILL)
    new_ids = sandbox.add_items(email, count=15)

    run = sync(location, SyncKind.INCREMENTAL)

    assert run.created == 15
    assert set(new_ids) <= set(stored(location))
    assert_matches_ground_truth(location, sandbox.ground_truth(email))


def test_reconcile_catches_status_changes_on_old_items_and_removals(sandbox, sandbox_account, make_location):
    email = sandbox_account(items=300)
    location = make_location(email)
    sync(location, SyncKind.BACKFILL)
    oldest = sandbox.ground_truth(email)[-5:]
    changed = [item["id"] for item in oldest if item["status"] != "resolved"]
    sandbox.set_status(email, changed, "resolved")
    gone = [item["id"] for item in sandbox.ground_truth(email)[100:103]]
    sandbox.remove_items(email, gone)

    incremental = sync(location, SyncKind.INCREMENTAL)
    assert incremental.updated == 0  # old items are outside the recent days
    run = sync(location, SyncKind.RECONCILE)

    assert run.removed == 3
    assert set(stored(location, removed=True)) == set(gone)
    assert_matches_ground_truth(location, sandbox.ground_truth(email))
    history = FeedbackStatusChange.objects.filter(feedback__pulseback_id__in=changed)
    assert {(h.feedback.pulseback_id, h.new_status) for h in history} == {(i, "resolved") for i in changed}


def test_removed_item_that_comes_back_is_restored(sandbox, sandbox_account, make_location):
    email = sandbox_account(items=50)
    location = make_location(email)
    sync(location, SyncKind.BACKFILL)
    item = sandbox.ground_truth(email)[10]
    sandbox.remove_items(email, [item["id"]])
    sync(location, SyncKind.RECONCILE)
    sandbox.add_items(email, items=[item])

    sync(location, SyncKind.RECONCILE)

    assert_matches_ground_truth(location, sandbox.ground_truth(email))


FAULTS = {
    "429 bursts": {"api_429_next": 3, "api_429_retry_after": 0.01},
    "5xx": {"api_5xx_next": 3},
    "random 5xx": {"api_5xx_probability": 0.2},
    "slow answers": {"slow_ms": 30, "slow_next": 4},
    "malformed JSON": {"malformed_next": 3},
    "drift while paging": {"drift_per_request": 7},
    "auth 429": {"auth_429_next": 2},
}


@pytest.mark.parametrize("faults", [*FAULTS.values(), {k: v for f in FAULTS.values() for k, v in f.items()}],
                         ids=[*FAULTS, "all together"])  # fmt: skip
def test_backfill_is_exact_under_faults(sandbox, sandbox_account, make_location, faults):
    email = sandbox_account(items=640)
    before = {item["id"] for item in sandbox.ground_truth(email)}
    location = make_location(email)
    sandbox.set_faults(**faults)

    for _attempt in range(3):  # a transient failure is retried, as the Celery task does
        try:
            run = sync(location, SyncKind.BACKFILL)
            break
        except PulseBackError:
            continue
    sandbox.clear_faults()

    assert run.state == SyncState.SUCCEEDED
    assert before <= set(stored(location))
    if faults.get("drift_per_request"):
        # Each request of the backfill added items on top: the next pull, once
        # the drift stops, must bring exactly those.
        sync(location, SyncKind.INCREMENTAL)
    assert_matches_ground_truth(location, sandbox.ground_truth(email))


def test_status_changes_while_paging_are_caught_by_the_next_reconcile(
    sandbox, sandbox_account, make_location
):
    email = sandbox_account(items=400)
    location = make_location(email)
    sandbox.set_faults(status_changes_per_request=5)
    sync(location, SyncKind.BACKFILL)
    sandbox.clear_faults()

    sync(location, SyncKind.RECONCILE)

    assert_matches_ground_truth(location, sandbox.ground_truth(email))


def test_malformed_items_are_skipped_and_counted(sandbox, sandbox_account, make_location, caplog):
    email = sandbox_account(items=60)
    sandbox.inject_malformed(email)
    location = make_location(email)

    with caplog.at_level(logging.WARNING, logger="clients.sync"):
        run = sync(location, SyncKind.BACKFILL)

    assert run.state == SyncState.SUCCEEDED
    assert run.skipped == len(sandbox.ground_truth(email, include_malformed=True)) - 60
    assert run.skipped >= 3
    assert_matches_ground_truth(location, sandbox.ground_truth(email))
    assert "skipped a malformed PulseBack item" in caplog.text


def test_wrong_password_marks_invalid_credentials_at_once(sandbox, sandbox_account, make_location):
    email = sandbox_account(items=10)
    location = make_location(email, password="not-the-password")
    requests_before = sandbox.get_stats().get("auth_requests", 0)

    run = sync(location, SyncKind.BACKFILL)

    location.refresh_from_db()
    assert location.state == ConnectionState.INVALID_CREDENTIALS
    assert "refused the login" in location.last_error
    assert "not-the-password" not in location.last_error
    assert run.state == SyncState.FAILED
    assert sandbox.get_stats().get("auth_requests", 0) - requests_before <= 1
    assert not Feedback.objects.filter(location=location).exists()


def test_session_is_kept_between_syncs(sandbox, sandbox_account, make_location):
    email = sandbox_account(items=30)
    location = make_location(email)
    sync(location, SyncKind.BACKFILL)
    location.refresh_from_db()
    first_token = location.access_token

    sync(location, SyncKind.INCREMENTAL)

    location.refresh_from_db()
    assert location.access_token == first_token


def test_credentials_and_tokens_are_encrypted_at_rest(
    sandbox, sandbox_account, make_location, django_db_blocker
):
    from django.db import connection

    email = sandbox_account(items=5)
    location = make_location(email)
    sync(location, SyncKind.BACKFILL)
    location.refresh_from_db()

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pulseback_password, access_token, refresh_token FROM clients_location WHERE id = %s",
            [location.pk],
        )
        raw = cursor.fetchone()
    secrets = [
        location.pulseback_password.reveal(),
        location.access_token.reveal(),
        location.refresh_token.reveal(),
    ]
    for stored_value, secret in zip(raw, secrets, strict=True):
        assert secret not in stored_value
        assert stored_value.startswith("gAAAA")  # Fernet
    assert "sandbox-secret-pw" not in repr(Location.objects.get(pk=location.pk).__dict__)

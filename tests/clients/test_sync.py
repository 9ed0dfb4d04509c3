"""The sync against the sandbox over real HTTP: exact equality with its ground truth."""

import logging
from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clients.models import (
    ConnectionState,
    Feedback,
    FeedbackDaily,
    FeedbackStatusChange,
    Location,
    SyncKind,
    SyncRun,
    SyncState,
)
from clients.pulseback import PulseBackError, Unavailable
from clients.sync import location_sync
from clients.sync_walk import PAGE_SIZE

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


def catch_up(location):
    """Run the catch-up a partial run queued (as its task would)."""
    queued = SyncRun.objects.get(location=location, state=SyncState.QUEUED, kind=SyncKind.FOLLOW_UP)
    return location_sync(location_id=location.pk, kind=SyncKind.FOLLOW_UP, run_id=queued.pk)


def test_backfill_stores_every_item_exactly_once(sandbox, sandbox_account, make_location):
    email = sandbox_account(items=730)
    location = make_location(email)

    run = sync(location, SyncKind.BACKFILL)

    assert_matches_ground_truth(location, sandbox.ground_truth(email))
    # Pages overlap by one item (the skip check): 8 pages, 7 items fetched twice.
    assert (run.state, run.created, run.fetched, run.pages, run.expected, run.unseen) == (
        SyncState.SUCCEEDED,
        730,
        737,
        8,
        730,
        0,
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

    assert before <= set(stored(location))
    if faults.get("drift_per_request"):
        # Each request of the backfill added items on top, its checks too: it says so, and its
        # catch-up, once the drift stops, brings exactly those.
        assert (run.state, run.unseen >= 1) == (SyncState.PARTIAL, True)
        run = catch_up(location)
    assert run.state == SyncState.SUCCEEDED
    assert_matches_ground_truth(location, sandbox.ground_truth(email))


def test_status_changes_while_paging_are_caught_by_the_next_reconcile(
    sandbox, sandbox_account, make_location
):
    email = sandbox_account(items=400)
    location = make_location(email)
    sandbox.set_faults(status_changes_per_request=5)
    backfill = sync(location, SyncKind.BACKFILL)
    sandbox.clear_faults()

    reconcile = sync(location, SyncKind.RECONCILE)

    assert backfill.state == SyncState.PARTIAL  # its check saw statuses it had stored older
    assert reconcile.state == SyncState.SUCCEEDED
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


def test_a_run_whose_check_disagrees_is_partial_and_queues_a_catch_up(
    sandbox, sandbox_account, make_location
):
    email = sandbox_account(items=150)
    location = make_location(email)
    sandbox.set_faults(drift_per_request=1)  # every request, the checks' too, adds an item

    run = sync(location, SyncKind.BACKFILL)
    sandbox.clear_faults()

    location.refresh_from_db()
    assert (run.state, location.sync_outcome, location.state) == (
        SyncState.PARTIAL, SyncState.PARTIAL, ConnectionState.CONNECTED,
    )  # fmt: skip
    assert run.unseen >= 1 and location.sync_unseen == run.unseen
    assert run.retry_at == location.sync_retry_at  # the catch-up runs at once
    missing = {item["id"] for item in sandbox.ground_truth(email)} - set(stored(location))
    assert missing  # what "partial" says is true
    follow_up = catch_up(location)
    assert follow_up.state == SyncState.SUCCEEDED
    assert_matches_ground_truth(location, sandbox.ground_truth(email))
    location.refresh_from_db()
    assert (location.sync_outcome, location.sync_unseen, location.sync_retry_at) == ("succeeded", 0, None)


def test_a_catch_up_pages_from_the_newest_and_walks_everything_only_if_totals_disagree(
    sandbox, sandbox_account, make_location
):
    email = sandbox_account(items=900)
    location = make_location(email)
    sync(location, SyncKind.BACKFILL)
    sandbox.add_items(email, count=5)

    head_only = location_sync(location_id=location.pk, kind=SyncKind.FOLLOW_UP)

    # The newest page (5 new items), then one holding nothing new; no walk.
    assert (head_only.state, head_only.created, head_only.pages, head_only.removed) == (
        SyncState.SUCCEEDED, 5, 2, 0,
    )  # fmt: skip
    gone = sandbox.ground_truth(email)[500]["id"]
    sandbox.remove_items(email, [gone])

    walked = location_sync(location_id=location.pk, kind=SyncKind.FOLLOW_UP)

    assert (walked.state, walked.removed) == (SyncState.SUCCEEDED, 1)
    assert walked.pages > 9  # the head page, then the whole list
    assert set(stored(location, removed=True)) == {gone}
    assert_matches_ground_truth(location, sandbox.ground_truth(email))


def test_catch_ups_back_off_while_runs_stay_partial(sandbox, sandbox_account, make_location):
    email = sandbox_account(items=30)
    location = make_location(email)
    sandbox.set_faults(drift_per_request=1)
    delays = []
    run = sync(location, SyncKind.BACKFILL)
    for _ in range(4):
        delays.append(round((run.retry_at - run.finished_at).total_seconds()))
        run = catch_up(location)
    sandbox.clear_faults()

    assert delays == [0, 30, 60, 120]
    assert catch_up(location).state == SyncState.SUCCEEDED
    assert_matches_ground_truth(location, sandbox.ground_truth(email))


def test_an_incremental_pull_never_marks_removals(sandbox, sandbox_account, make_location):
    email = sandbox_account(items=200)
    (newest,) = sandbox.add_items(email, count=1)  # within the incremental window, whatever the seed
    location = make_location(email)
    sync(location, SyncKind.BACKFILL)
    sandbox.remove_items(email, [newest])

    run = sync(location, SyncKind.INCREMENTAL)

    assert run.removed == 0 and newest in stored(location)
    assert run.state == SyncState.PARTIAL  # the store holds an item PulseBack no longer has: it says so
    follow_up = catch_up(location)
    assert (follow_up.state, follow_up.removed) == (SyncState.SUCCEEDED, 1)


def test_a_reconcile_that_fails_half_way_resumes_and_marks_removals_only_once_complete(
    sandbox, sandbox_account, make_location, small_batches
):
    email = sandbox_account(items=2500)
    location = make_location(email)
    sync(location, SyncKind.BACKFILL)
    truth = sandbox.ground_truth(email)
    gone = [truth[100]["id"], truth[2400]["id"]]
    sandbox.remove_items(email, gone)
    sandbox.set_faults(slow_ms=20)

    def fail_after_the_first_batch(run):
        sandbox.set_faults(api_5xx_next=10_000)

    with pytest.raises(Unavailable):
        location_sync(
            location_id=location.pk, kind=SyncKind.RECONCILE, on_progress=fail_after_the_first_batch
        )
    sandbox.clear_faults()

    failed = SyncRun.objects.get(location=location, kind=SyncKind.RECONCILE)
    location.refresh_from_db()
    assert (failed.state, failed.removed, location.sync_outcome) == (SyncState.FAILED, 0, "failed")
    assert not stored(location, removed=True)  # a walk that did not see the whole list marks nothing
    stopped_at = location.sync_cursor["offset"]
    assert 495 <= stopped_at < 2400

    resumed = sync(location, SyncKind.RECONCILE)

    assert (resumed.state, resumed.removed) == (SyncState.SUCCEEDED, 2)
    # From where it stopped (one step back: an item above it was removed), not from the top.
    assert resumed.fetched <= 2500 - stopped_at + PAGE_SIZE + resumed.pages
    assert set(stored(location, removed=True)) == set(gone)
    assert_matches_ground_truth(location, sandbox.ground_truth(email))
    location.refresh_from_db()
    assert location.sync_cursor is None


def test_roll_ups_equal_the_rows_after_every_kind_of_run(sandbox, sandbox_account, make_location):
    email = sandbox_account(items=400)
    location = make_location(email)

    def assert_roll_ups_match():
        rows = Feedback.objects.filter(location=location, removed_at__isnull=True)
        daily = FeedbackDaily.objects.filter(location=location)
        assert sum(d.count for d in daily) == rows.count()
        assert sum(d.status_resolved for d in daily) == rows.filter(status="resolved").count()

    sync(location, SyncKind.BACKFILL)
    assert_roll_ups_match()
    recent = [item["id"] for item in sandbox.ground_truth(email)[:3]]
    sandbox.set_status(email, recent, "resolved")
    sandbox.add_items(email, count=4)
    sync(location, SyncKind.INCREMENTAL)
    assert_roll_ups_match()
    sandbox.remove_items(email, [sandbox.ground_truth(email)[300]["id"]])
    sync(location, SyncKind.RECONCILE)
    assert_roll_ups_match()


def test_the_whole_list_check_counts_from_the_month_roll_ups_unless_a_walk_left_them_behind(
    sandbox, sandbox_account, make_location
):
    email = sandbox_account(items=250)
    location = make_location(email)
    sync(location, SyncKind.BACKFILL)

    def check_reads(kind):
        with CaptureQueriesContext(connection) as queries:
            run = sync(location, kind)
        statements = [query["sql"] for query in queries]
        counted = 'SELECT "clients_feedback"."status" AS "status", COUNT('
        rows = sum(sql.startswith(counted) for sql in statements)
        months = sum('FROM "clients_feedbackmonthly"' in sql for sql in statements)
        return run, rows, months

    sandbox.set_status(email, [sandbox.ground_truth(email)[200]["id"]], "resolved")
    run, rows, months = check_reads(SyncKind.RECONCILE)
    assert (run.state, rows, months) == (SyncState.SUCCEEDED, 0, 1)

    # A walk whose worker was killed left its cursor: the roll-ups may lag, the rows are counted.
    killed = {"offset": 100, "anchor_at": None, "anchor_id": None, "started": timezone.now().isoformat()}
    Location.objects.filter(pk=location.pk).update(sync_cursor=killed)
    sandbox.add_items(email, count=3)
    run, rows, months = check_reads(SyncKind.FOLLOW_UP)
    assert (run.state, run.created, rows, months) == (SyncState.SUCCEEDED, 3, 1, 0)
    assert_matches_ground_truth(location, sandbox.ground_truth(email))


def test_a_first_backfill_leaves_the_planner_looking_items_up_by_location_and_id(
    sandbox, sandbox_account, make_location
):
    sync(make_location(sandbox_account(items=300)), SyncKind.BACKFILL)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE clients_feedback")  # as autovacuum would: the next location is unknown
    location = make_location(sandbox_account(items=600))

    sync(location, SyncKind.BACKFILL)

    with connection.cursor() as cursor:  # the item lookup of the sync's upsert
        cursor.execute(
            "EXPLAIN SELECT id FROM clients_feedback WHERE location_id = %s AND pulseback_id = %s",
            [location.pk, "any"],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "feedback_unique_per_location" in plan or "pulseback_id_key" in plan, plan

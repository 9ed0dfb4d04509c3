"""The sync schedule: intervals from each location's feedback rate, sign-ins planned within the budget,
and the beat's fan-out."""

import base64
import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import override_settings

from agency.models import Agency
from clients.auth_calendar import auth_floor_set, plan_per_minute, soft_places
from clients.auth_outlook import auth_budget_outlook, auth_floor_refresh
from clients.models import ConnectionState, FeedbackDaily, SyncKind, SyncRun, SyncState
from clients.scheduling import Candidate, Policy, syncs_plan
from clients.services import QUEUED_GRACE
from clients.tasks import sync_due_agencies, sync_due_locations, sync_location
from tests.conftest import published
from tests.factories import LocationFactory

NOW = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)


def candidate(location_id, *, synced_ago=None, rate=0.0, token_left=timedelta(minutes=30), **fields):
    """A location last synced ``synced_ago`` before NOW (never when None), backfilled an hour ago."""
    values = {
        "location_id": location_id,
        "last_synced_at": None if synced_ago is None else NOW - synced_ago,
        "backfilled_at": NOW - timedelta(hours=1),
        "token_expires_at": None if token_left is None else NOW + token_left,
        "token_lifetime": 3600.0,
        "retry_at": None,
        "items_per_hour": rate,
    }
    return Candidate(**{**values, **fields})


def planned_ids(candidates, schema="agency_alpha", now=NOW):
    return [sync.location_id for sync in syncs_plan(candidates=candidates, now=now, schema=schema)]


def test_busy_locations_sync_every_interval_and_quiet_ones_once_per_expected_item():
    policy = Policy.current()

    assert policy.interval(5.0) == policy.interval(1.0) == timedelta(minutes=15)
    assert policy.interval(0.5) == timedelta(hours=2)
    assert policy.interval(0.9) == timedelta(hours=1 / 0.9)
    assert policy.interval(0.01) == policy.interval(0.0) == timedelta(hours=5)
    assert policy.promised(5.0) == timedelta(minutes=30)
    assert policy.promised(0.01) == timedelta(hours=6)


def test_only_due_locations_are_planned():
    candidates = [
        candidate(1, synced_ago=timedelta(minutes=10), rate=4),  # busy, synced 10 minutes ago
        candidate(2, synced_ago=timedelta(minutes=16), rate=4),  # busy, due
        candidate(3, synced_ago=timedelta(minutes=90), rate=0.5),  # due every 2 hours
        candidate(4, synced_ago=timedelta(minutes=130), rate=0.5),
        candidate(5),  # never synced
        candidate(6, synced_ago=timedelta(hours=9), in_progress=True),  # its run is queued already
        candidate(7, synced_ago=timedelta(hours=9), retry_at=NOW + timedelta(minutes=3)),  # deferred
        candidate(8, synced_ago=timedelta(hours=9), retry_at=NOW - timedelta(minutes=3)),
    ]

    assert sorted(planned_ids(candidates)) == [2, 4, 5, 8]


def test_a_location_is_due_half_a_tick_before_its_interval_ends():
    """Its last sync ended a little after a tick: waiting for the tick after its interval would
    make a 15-minute interval 20 minutes, and leave a busy location 10 of its 30 to sign in."""
    assert Policy.current().tick == timedelta(minutes=5)
    candidates = [
        candidate(1, synced_ago=timedelta(minutes=14, seconds=57), rate=4),  # due at its interval
        candidate(2, synced_ago=timedelta(minutes=12), rate=4),  # 3 minutes to go: the next tick
        candidate(3, synced_ago=timedelta(hours=4, minutes=58), rate=0.01),  # 2 minutes of its 5 hours
    ]

    assert sorted(planned_ids(candidates)) == [1, 3]


def test_a_quiet_location_near_its_promise_takes_the_first_place_free():
    (sync,) = syncs_plan(candidates=[candidate(1, synced_ago=timedelta(hours=5), rate=0.01, token_left=None)],
                         now=NOW, schema="agency_alpha")  # fmt: skip

    assert sync.auth and sync.countdown < 60  # this minute has room: not the last before its promise


@override_settings(PULSEBACK_AUTH_PER_MINUTE=3)
def test_a_run_of_quiet_locations_larger_than_their_share_books_ahead_and_every_one_finds_a_place():
    """Two places a minute are planned, one for quiet locations near their promise; six more come
    within an hour of theirs every tick, for an hour. Booked ahead, they spread out; places kept
    for later would leave the minutes before them empty, and these are lost once past."""
    for tick in range(12):
        now = NOW + tick * timedelta(minutes=5)
        arrivals = [
            candidate(10 * tick + i, rate=0.01, token_left=None, last_synced_at=now - timedelta(hours=5))
            for i in range(6)
        ]

        plan = syncs_plan(candidates=arrivals, now=now, schema="agency_alpha")

        assert len(plan) == 6, tick
        assert all(s.countdown < 50 * 60 for s in plan)  # before their deadline


@override_settings(PULSEBACK_AUTH_PER_MINUTE=3)
def test_a_quiet_location_whose_share_had_no_place_last_tick_takes_what_is_left_of_this_ticks_minutes():
    """Two places a minute are planned, one for quiet locations near their promise: another
    agency's take that one for the next 50 minutes."""
    others = [
        candidate(100 + i, synced_ago=timedelta(hours=5), rate=0.01, token_left=None) for i in range(50)
    ]
    assert len(syncs_plan(candidates=others, now=NOW, schema="agency_b")) == 50
    fresh = candidate(1, synced_ago=timedelta(hours=5), rate=0.01, token_left=None)  # an hour to go
    missed = candidate(2, synced_ago=timedelta(hours=5, minutes=5), rate=0.01, token_left=None)

    (sync,) = syncs_plan(candidates=[fresh, missed], now=NOW, schema="agency_alpha")

    assert sync.location_id == 2 and sync.countdown < 5 * 60  # the fresh one waits a tick


def test_a_valid_token_is_used_at_once_and_an_expiring_one_books_a_sign_in():
    fresh = candidate(1, synced_ago=timedelta(minutes=20), rate=4, token_left=timedelta(minutes=30))
    expiring = candidate(2, synced_ago=timedelta(minutes=20), rate=4, token_left=timedelta(seconds=30))

    plan = {
        s.location_id: s for s in syncs_plan(candidates=[fresh, expiring], now=NOW, schema="agency_alpha")
    }

    assert (plan[1].auth, plan[1].countdown) == (False, 0.0)
    assert plan[2].auth and plan[2].countdown >= 0


@override_settings(PULSEBACK_AUTH_PER_MINUTE=6)
def test_sign_ins_are_planned_within_the_budget_nearest_their_promise_first():
    """Busy locations whose tokens expired, 20 in each of three agencies, all due at once."""
    plans = {}
    for schema in ("agency_a", "agency_b", "agency_c"):
        overdue = [
            candidate(i, synced_ago=timedelta(minutes=16 + i), rate=4, token_left=None) for i in range(20)
        ]
        plans[schema] = syncs_plan(candidates=overdue, now=NOW, schema=schema)

    per_minute = Counter(int((NOW.timestamp() + s.countdown) // 60) for plan in plans.values() for s in plan)
    assert max(per_minute.values()) <= plan_per_minute() == 5  # of the 6 a minute allowed
    for plan in plans.values():
        agency_minutes = Counter(int((NOW.timestamp() + s.countdown) // 60) for s in plan)
        assert max(agency_minutes.values()) <= 2  # one agency: at most half
    stalest_first = [s.location_id for s in plans["agency_a"]]
    assert stalest_first == sorted(stalest_first, reverse=True) and stalest_first[0] == 19
    assert len(plans["agency_a"]) < 20  # the others stay due for the next tick


@override_settings(PULSEBACK_AUTH_PER_MINUTE=11)
def test_a_sync_about_to_break_its_promise_finds_a_place_after_other_agencies_took_theirs():
    """Ten places a minute are planned; syncs an hour from their promise may fill eight of them."""
    quiet = [
        candidate(i, synced_ago=timedelta(hours=5, minutes=10), rate=0.01, token_left=None) for i in range(40)
    ]
    for schema in ("agency_a", "agency_b"):
        assert len(syncs_plan(candidates=quiet, now=NOW, schema=schema)) == 40

    (late,) = syncs_plan(candidates=[candidate(1, synced_ago=timedelta(minutes=22), rate=4, token_left=None)],
                         now=NOW, schema="agency_c")  # fmt: skip
    (relaxed,) = syncs_plan(candidates=quiet[:1], now=NOW, schema="agency_d")

    assert late.countdown < 60  # this very minute
    assert relaxed.countdown >= 60 * 8  # eight minutes are full to it (8 a minute of 10)


def test_when_the_promises_need_the_whole_budget_only_syncs_near_their_promise_get_sign_ins():
    auth_floor_set(per_hour=plan_per_minute() * 60)
    relaxed = candidate(1, synced_ago=timedelta(hours=3), rate=0.4, token_left=None)  # due, 3 h to spare
    urgent = candidate(2, synced_ago=timedelta(hours=5, minutes=45), rate=0.01, token_left=None)

    assert planned_ids([relaxed, urgent]) == [2]


def test_with_budget_to_spare_syncs_far_from_their_promise_get_sign_ins_too():
    auth_floor_set(per_hour=60)

    assert planned_ids([candidate(1, synced_ago=timedelta(hours=3), rate=0.4, token_left=None)]) == [1]


@pytest.mark.parametrize(
    ("now", "backfilled_at", "kind"),
    [
        (datetime(2030, 3, 4, 4, tzinfo=UTC), datetime(2030, 3, 3, 5, tzinfo=UTC), SyncKind.RECONCILE),
        (datetime(2030, 3, 4, 4, tzinfo=UTC), datetime(2030, 3, 4, 3, 30, tzinfo=UTC), SyncKind.INCREMENTAL),
        (datetime(2030, 3, 4, 2, tzinfo=UTC), datetime(2030, 3, 3, 5, tzinfo=UTC), SyncKind.INCREMENTAL),
        (datetime(2030, 3, 4, 4, tzinfo=UTC), None, SyncKind.BACKFILL),
    ],
)
def test_the_nightly_reconcile_is_each_locations_first_sync_after_the_reconcile_hour(
    now, backfilled_at, kind
):
    due = Candidate(1, now - timedelta(hours=6), backfilled_at, now + timedelta(hours=1), 3600.0, None, 0.0)

    (sync,) = syncs_plan(candidates=[due], now=now, schema="agency_alpha")

    assert sync.kind == kind


def _rate(location, per_day):
    for days_ago in range(1, 8):
        FeedbackDaily.objects.create(
            client=location.client,
            location=location,
            day=(NOW - timedelta(days=days_ago)).date(),
            count=per_day,
        )


def task_args(message):
    return tuple(json.loads(base64.b64decode(message["body"]))[0])


@time_machine.travel(NOW, tick=False)
def test_an_agencys_tick_records_its_runs_and_queues_them_once_committed(
    agency, django_capture_on_commit_callbacks
):
    busy = LocationFactory(last_synced_at=NOW - timedelta(minutes=20), backfilled_at=NOW - timedelta(hours=2),
                           token_expires_at=NOW + timedelta(minutes=40))  # fmt: skip
    _rate(busy, per_day=48)
    quiet = LocationFactory(
        last_synced_at=NOW - timedelta(minutes=20), backfilled_at=NOW - timedelta(hours=2)
    )
    new = LocationFactory()
    LocationFactory(state=ConnectionState.PAUSED)
    LocationFactory(state=ConnectionState.INVALID_CREDENTIALS)
    waiting = LocationFactory()
    SyncRun.objects.create(location=waiting, kind=SyncKind.BACKFILL, state=SyncState.QUEUED)
    with published(sync_location) as sent, django_capture_on_commit_callbacks(execute=True):
        queued = sync_due_agencies.run([agency.schema_name], kind=SyncKind.INCREMENTAL)

    runs = {
        run.location_id: run
        for run in SyncRun.objects.filter(state=SyncState.QUEUED).exclude(location=waiting)
    }
    assert queued == 2 and set(runs) == {busy.pk, new.pk} and quiet.pk not in runs
    assert (runs[busy.pk].kind, runs[new.pk].kind) == (SyncKind.INCREMENTAL, SyncKind.BACKFILL)
    messages = {task_args(message)[0]: (task_args(message), message["headers"]) for message in sent}
    assert len(sent) == 2 and {headers["task"] for _, headers in messages.values()} == {sync_location.name}
    assert {headers["_schema_name"] for _, headers in messages.values()} == {agency.schema_name}
    assert messages[busy.pk][0] == (busy.pk, SyncKind.INCREMENTAL, runs[busy.pk].pk)
    assert messages[busy.pk][1]["eta"] is None  # its token is still good: at once
    assert messages[new.pk][0] == (new.pk, SyncKind.BACKFILL, runs[new.pk].pk)
    # A run's queued_at is when it is planned to start: the ETA of its message.
    eta = messages[new.pk][1]["eta"]
    assert runs[new.pk].queued_at == (datetime.fromisoformat(eta) if eta else NOW)


@time_machine.travel(NOW, tick=False)
def test_the_operators_outlook_adds_up_what_the_agencies_locations_need(agency, other_agency, monkeypatch):
    monkeypatch.setattr(sync_location, "apply_async", lambda *args, **options: None)
    _rate(LocationFactory(last_synced_at=NOW, backfilled_at=NOW, token_expires_at=NOW), per_day=48)
    LocationFactory(last_synced_at=NOW, backfilled_at=NOW, token_expires_at=NOW)  # no feedback: quiet
    sync_due_agencies.run([agency.schema_name])
    connection.set_schema_to_public()

    outlook = auth_budget_outlook()

    agencies = Agency.objects.exclude(schema_name="public").count()
    assert (outlook.agencies, outlook.agencies_reporting) == (agencies, 1)  # only alpha has ticked
    assert (outlook.locations, outlook.busy_locations) == (2, 1)
    assert (outlook.budget_per_hour, outlook.plannable_per_hour) == (1200, 1080)
    # Busy: one refresh an hour (1-hour tokens); quiet: one sign-in every 5 h, at worst every 5 h 50.
    assert outlook.demand_per_hour == pytest.approx(1.2, abs=0.05)
    assert outlook.floor_per_hour == pytest.approx(1 + 1 / (5 + 50 / 60), abs=0.05)
    assert outlook.spare_locations == pytest.approx(
        2 * (1080 - outlook.floor_per_hour) / outlook.floor_per_hour, abs=1
    )
    assert not outlook.needs_another_address
    auth_floor_refresh()  # what beat does before each tick: the calendar keeps the floor's places
    assert soft_places() == plan_per_minute() - 1


def test_the_beat_publishes_a_message_per_batch_of_agencies_through_the_broker(db, monkeypatch):
    monkeypatch.setattr("clients.tasks.AGENCIES_PER_TICK_TASK", 1)
    schemas = sorted(Agency.objects.exclude(schema_name="public").values_list("schema_name", flat=True))

    with published(sync_due_agencies) as messages:
        queued = sync_due_locations.run(kind=SyncKind.INCREMENTAL)

    batches = [json.loads(base64.b64decode(m["body"]))[1] for m in messages]
    assert queued == len(messages) == len(schemas) >= 2 and all(len(b["schemas"]) == 1 for b in batches)
    assert sorted(schema for b in batches for schema in b["schemas"]) == schemas  # each agency once
    assert {b["kind"] for b in batches} == {SyncKind.INCREMENTAL}
    assert {m["headers"]["_schema_name"] for m in messages} == {"public"}  # it enters each agency


@time_machine.travel(NOW, tick=False)
def test_an_agencys_tick_sends_again_a_queued_run_whose_message_was_lost(
    agency, django_capture_on_commit_callbacks
):
    location = LocationFactory(
        last_synced_at=NOW - timedelta(hours=2), backfilled_at=NOW, token_expires_at=NOW + timedelta(hours=1)
    )
    queued = {"kind": SyncKind.INCREMENTAL, "state": SyncState.QUEUED}
    overdue = NOW - QUEUED_GRACE - timedelta(minutes=1)
    lost = SyncRun.objects.create(location=location, queued_at=overdue, **queued)
    behind_a_busy_queue = NOW - timedelta(minutes=30)
    waiting = SyncRun.objects.create(location=LocationFactory(), queued_at=behind_a_busy_queue, **queued)

    with published(sync_location) as sent, django_capture_on_commit_callbacks(execute=True):
        sync_due_agencies.run([agency.schema_name], kind=SyncKind.INCREMENTAL)

    assert [task_args(message) for message in sent] == [(location.pk, SyncKind.INCREMENTAL, lost.pk)]
    assert set(SyncRun.objects.values_list("pk", "state")) == {
        (lost.pk, SyncState.QUEUED),
        (waiting.pk, SyncState.QUEUED),
    }  # no run of their own: each location keeps its one run


@time_machine.travel(NOW, tick=False)
def test_an_agencys_tick_sends_again_a_deferred_run_whose_resumption_never_came(
    agency, django_capture_on_commit_callbacks
):
    location = LocationFactory(
        last_synced_at=NOW, backfilled_at=NOW, token_expires_at=NOW + timedelta(hours=1)
    )
    lost = SyncRun.objects.create(
        location=location, kind=SyncKind.BACKFILL, state=SyncState.DEFERRED, retry_at=NOW - timedelta(hours=1)
    )
    waiting = SyncRun.objects.create(
        location=LocationFactory(), kind=SyncKind.BACKFILL, state=SyncState.DEFERRED, retry_at=NOW
    )  # its resumption is not late

    with published(sync_location) as sent, django_capture_on_commit_callbacks(execute=True):
        sync_due_agencies.run([agency.schema_name], kind=SyncKind.INCREMENTAL)

    assert [task_args(message) for message in sent] == [(location.pk, SyncKind.BACKFILL, lost.pk)]
    assert SyncRun.objects.get(pk=waiting.pk).state == SyncState.DEFERRED

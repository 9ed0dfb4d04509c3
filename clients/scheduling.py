"""When each location syncs, within the platform's PulseBack sign-in budget.

PulseBack (Supabase) limits sign-ins and token refreshes per worker address:
``PULSEBACK_AUTH_PER_MINUTE``. A sync costs one such call only when its location's token has
expired (about once an hour with PulseBack's default tokens), so:

- **Each location has its own interval**, from its own feedback rate over the last week (its
  daily roll-ups): a *busy* location (an item an hour or more) every ``SYNC_INTERVAL_MINUTES``,
  promised at most twice that stale; the others about once per expected new item, at most every
  ``SYNC_MAX_STALENESS_HOURS`` minus an hour, promised at most that stale.
- **Only due locations sync**, so only their tokens are refreshed, and those nearest their
  promise go first (the stalest first). A location is due from half a tick before its interval
  ends: waiting for the tick after would add a tick to every interval (with the defaults, a busy
  location would sync every 20 minutes, not 15, with only 10 of its 30 left to find a place for a
  sign-in).
- **Auth calls are planned** in a calendar shared by all agencies (clients.auth_calendar): a sync
  that will need one books a place and is queued with a countdown to it (under an hour). Every
  sync takes the first place free before its deadline, within its priority: busy locations and
  those about to break a promise any place; quiet ones near their promise a share of each minute
  that leaves room for the busy ones (and, the tick after their share had none, what is left of
  the minutes at hand); the others only what keeping the promises leaves. So with 1,000 agencies
  booking one after the other, every promise finds a place while the budget allows, and when it
  is short quiet locations stretch towards their promise: a run of them larger than their share
  books further ahead, which spreads their next syncs out (a place kept for later instead would
  pin each location to its promise, and a run stays a run, every time it comes round). A sync
  that finds no place stays due.
- The nightly reconcile is each location's first due sync after ``SYNC_RECONCILE_HOUR`` (UTC): it
  costs no auth call of its own.

``syncs_plan`` needs no database (only the cache), so a simulated day runs it for thousands of
locations (benchmarks/signin_budget_sim.py); ``locations_due`` reads its input from the agency's
database, and ``sync_runs_schedule`` is an agency's whole tick (clients.tasks.sync_due_agencies).
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache, partial

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context
from psycopg import sql

from agency.fanout import tasks_publish
from clients.auth_calendar import auth_slot_book, plan_per_minute, soft_places
from clients.models import ConnectionState, FeedbackDaily, Location, SyncKind, SyncRun, SyncState
from clients.pulseback import expiry_margin
from clients.services import DEFERRED_GRACE, QUEUED_GRACE, SYNC_ACTIVE, sync_queue
from clients.sync_lock import lock_lost, sync_runs_fail

BUSY_ITEMS_PER_HOUR = 1.0
RATE_DAYS = 7
# How a sync that needs a sign-in books its place (clients.auth_calendar): the first minute with
# room before its deadline, by priority:
# - within OVERDUE of its promise (any location): any place within the tick;
# - a busy location: any place before its deadline (its promise less OVERDUE);
# - a quieter location within URGENT_WITHIN of its promise: QUIET_SHARE of each minute (the rest
#   stays for busy locations) before its deadline; from its second tick there (it found no place
#   in its share), else any place within the tick;
# - any other ("soft"): within the tick, up to SOFT_SHARE of a minute, and only what keeping every
#   promise leaves.
OVERDUE = timedelta(minutes=10)
URGENT_WITHIN = timedelta(minutes=60)
QUIET_SHARE = 0.85
SOFT_SHARE = 0.7
TOKEN_LIFETIME_DEFAULT = 3600.0  # PulseBack's, for tokens whose lifetime is not recorded yet
# A token this close to its end when the sync is queued will be renewed by it.
QUEUE_DELAY = timedelta(minutes=1)


@dataclass(frozen=True)
class Candidate:
    """A location that may sync: what the plan needs to know of it."""

    location_id: int
    last_synced_at: datetime | None
    backfilled_at: datetime | None
    token_expires_at: datetime | None
    token_lifetime: float | None
    retry_at: datetime | None
    items_per_hour: float
    in_progress: bool = False  # a run is queued or running
    lost: bool = False  # a run deferred or queued whose message is overdue (services.run_is_lost)


@dataclass(frozen=True)
class PlannedSync:
    location_id: int
    kind: str
    countdown: float  # seconds from now until it should run
    auth: bool  # it will sign in or refresh (a calendar slot was booked)


def is_busy(items_per_hour):
    return items_per_hour >= BUSY_ITEMS_PER_HOUR


@dataclass(frozen=True)
class Policy:
    """The intervals and promises of the settings, read once per tick."""

    shortest: timedelta  # a busy location's interval
    longest: timedelta  # the quietest location's interval
    busy_promise: timedelta
    promise: timedelta
    tick: timedelta

    @classmethod
    def current(cls):
        shortest = timedelta(minutes=settings.SYNC_INTERVAL_MINUTES)
        promise = timedelta(hours=settings.SYNC_MAX_STALENESS_HOURS)
        return cls(shortest, promise - timedelta(hours=1), 2 * shortest, promise,
                   timedelta(minutes=settings.SYNC_TICK_MINUTES))  # fmt: skip

    def interval(self, items_per_hour):
        """How often a location with this feedback rate is synced: busy ones at the shortest
        interval, the others about once per expected new item."""
        if is_busy(items_per_hour):
            return self.shortest
        if items_per_hour <= 0:
            return self.longest
        return max(2 * self.shortest, min(self.longest, timedelta(hours=1 / items_per_hour)))

    def promised(self, items_per_hour):
        """How stale a location with this feedback rate may get."""
        return self.busy_promise if is_busy(items_per_hour) else self.promise

    def promise_interval(self, items_per_hour):
        """The interval a location keeps when the budget is short: it syncs once urgent (busy ones
        at their interval: their tokens outlive it anyway)."""
        if is_busy(items_per_hour):
            return self.shortest
        return self.promise - OVERDUE

    def slack(self, candidate, now):
        """Time left before the location breaks its promise (never synced: the least)."""
        if candidate.last_synced_at is None or candidate.backfilled_at is None:
            return timedelta.min
        return candidate.last_synced_at + self.promised(candidate.items_per_hour) - now

    def is_due(self, candidate, now):
        if candidate.in_progress:
            return False
        if candidate.retry_at is not None:
            return candidate.retry_at <= now  # a deferred run resumes then, not before
        if candidate.last_synced_at is None or candidate.backfilled_at is None:
            return True
        return candidate.last_synced_at + self.interval(candidate.items_per_hour) <= now + self.tick / 2


def auth_calls_per_hour(*, interval, token_lifetime=None):
    """Sign-ins and refreshes an hour of a location synced every ``interval``: one per sync when
    its token has expired in between, else one per token lifetime."""
    return 3600 / max(interval.total_seconds(), token_lifetime or TOKEN_LIFETIME_DEFAULT)


def _reconcile_due(backfilled_at, now):
    """Whether the location's latest full pass is older than the latest reconcile hour."""
    today = datetime.combine(now.astimezone(UTC).date(), time(settings.SYNC_RECONCILE_HOUR), UTC)
    latest = today if now >= today else today - timedelta(days=1)
    return backfilled_at < latest


def _needs_auth(candidate, now):
    if candidate.token_expires_at is None:
        return True
    margin = timedelta(seconds=expiry_margin(candidate.token_lifetime))
    return candidate.token_expires_at - margin <= now + QUEUE_DELAY


def _kind(candidate, now, kind):
    if candidate.backfilled_at is None:
        return SyncKind.BACKFILL
    if kind == SyncKind.RECONCILE or _reconcile_due(candidate.backfilled_at, now):
        return SyncKind.RECONCILE
    return kind


def syncs_plan(*, candidates, now, schema, kind=SyncKind.INCREMENTAL):
    """The syncs to queue now among ``candidates`` (of the agency ``schema``), nearest their promise
    first, each with its kind and countdown. Syncs needing an auth call book calendar places."""
    policy = Policy.current()
    due = sorted(
        ((policy.slack(c, now), c.location_id, c) for c in candidates if policy.is_due(c, now)),
        key=lambda entry: entry[:2],
    )
    cap = plan_per_minute()
    soft = min(soft_places(), math.floor(cap * SOFT_SHARE)) if due else 0
    planned = []
    for slack, _, candidate in due:
        sync_kind = _kind(candidate, now, kind)
        if not _needs_auth(candidate, now):
            planned.append(PlannedSync(candidate.location_id, sync_kind, 0.0, auth=False))
            continue
        busy = is_busy(candidate.items_per_hour)
        if slack <= OVERDUE:
            places, within = cap, policy.tick
        elif busy:
            places, within = cap, slack - OVERDUE
        elif slack <= URGENT_WITHIN:
            places, within = math.floor(cap * QUIET_SHARE), slack - OVERDUE
        elif soft:
            places, within = soft, policy.tick
        else:
            continue  # the soft share is used up for this tick
        countdown = auth_slot_book(now=now, schema=schema, places=places, within=within)
        if countdown is None and not busy and OVERDUE < slack <= URGENT_WITHIN - policy.tick:
            # Its share had no place last tick either: what is left of the minutes at hand.
            countdown = auth_slot_book(now=now, schema=schema, places=cap, within=min(within, policy.tick))
        if countdown is not None:
            planned.append(PlannedSync(candidate.location_id, sync_kind, countdown, auth=True))
        elif slack > URGENT_WITHIN and not busy:
            soft = 0
    return planned


# --- Reading the plan's input from the agency's database ---


# What an agency's tick reads (``locations_due``), in SQL: Django compiled the same query, with
# its subqueries, in every agency at every tick, and that took longer than running it. Every
# location is read, paused ones too: a run of theirs whose worker died is failed as well.
LOCATIONS_DUE_SQL = f"""
SELECT l.id, l.last_synced_at, l.backfilled_at, l.token_expires_at, l.token_lifetime, l.sync_retry_at,
    l.state, l.sync_lock_owner, l.sync_lock_expires_at, runs.active, runs.running, runs.lost,
    (SELECT sum(d.count) FROM {FeedbackDaily._meta.db_table} d
     WHERE d.location_id = l.id AND d.day > %(since)s)
FROM {Location._meta.db_table} l
CROSS JOIN LATERAL (
    SELECT count(*) AS active, array_agg(r.id) FILTER (WHERE r.state = %(running)s) AS running,
        coalesce(bool_or(r.state = %(deferred)s AND (r.retry_at IS NULL OR r.retry_at < %(lost_before)s)
                         OR r.state = %(queued)s AND r.queued_at < %(queued_lost_before)s), false) AS lost
    FROM {SyncRun._meta.db_table} r
    WHERE r.location_id = l.id AND r.state = ANY(%(active)s)
) runs
"""  # noqa: S608 - table names of the models

SKIPPED = frozenset({ConnectionState.PAUSED, ConnectionState.INVALID_CREDENTIALS})


@dataclass(frozen=True)
class Due:
    """An agency's locations that may sync, and the runs to fail first (their worker is gone)."""

    candidates: list
    stale_runs: list


def locations_due(*, now=None):
    """The agency's locations that may sync (not paused, not waiting for a new password), as plan
    candidates, with their feedback rate (items an hour over the last RATE_DAYS days, from the
    daily roll-ups); those with a run queued, running or deferred are marked ``in_progress``, and
    those whose deferred or queued run's message is overdue ``lost``. A running run whose worker is gone (its
    location's lock has no live holder) is among ``stale_runs``, and does not keep its location
    in progress. One query: the tick runs it in every agency."""
    now = timezone.now() if now is None else now
    params = {
        "active": list(SYNC_ACTIVE), "running": SyncState.RUNNING, "deferred": SyncState.DEFERRED,
        "lost_before": now - DEFERRED_GRACE, "queued": SyncState.QUEUED,
        "queued_lost_before": now - QUEUED_GRACE, "since": (now - timedelta(days=RATE_DAYS)).date(),
    }  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(LOCATIONS_DUE_SQL, params)
        rows = cursor.fetchall()
    hours = RATE_DAYS * 24
    candidates, stale = [], []
    for row in rows:
        state, owner, lock_expires_at, active, running, lost, items = row[6:]
        if running and lock_lost(owner=owner, expires_at=lock_expires_at, now=now):
            stale += running
            active -= len(running)
        if state not in SKIPPED:
            candidate = Candidate(
                *row[:6], items_per_hour=(items or 0) / hours, in_progress=active > 0, lost=lost
            )
            candidates.append(candidate)
    return Due(candidates, stale)


def auth_demand_record(*, schema, candidates, now):
    """Keep what the agency's locations need: how many, how many busy, auth calls an hour at their
    intervals, and at their promises (the floor), in the cache, for the calendar's floor and the
    operator's outlook (clients.auth_outlook)."""
    policy = Policy.current()
    demand = floor = 0.0
    busy = 0
    for candidate in candidates:
        rate, lifetime = candidate.items_per_hour, candidate.token_lifetime
        demand += auth_calls_per_hour(interval=policy.interval(rate), token_lifetime=lifetime)
        floor += auth_calls_per_hour(interval=policy.promise_interval(rate), token_lifetime=lifetime)
        busy += is_busy(rate)
    with schema_context(get_public_schema_name()):
        cache.set(
            demand_key(schema),
            (len(candidates), busy, demand, floor),
            timeout=3 * settings.SYNC_TICK_MINUTES * 60,
        )


def demand_key(schema):
    return f"auth-demand:{schema}"


def sync_runs_schedule(*, kind=SyncKind.INCREMENTAL, now=None):
    """The agency's tick: fail the runs whose worker died (their locations are due again), plan its
    due syncs, record their runs in one statement, and queue them once committed through one
    broker connection, pipelined. Returns the planned syncs."""
    now = timezone.now() if now is None else now
    due = locations_due(now=now)
    candidates = due.candidates
    # A run whose message is overdue is sent again (as any path asking for a sync does).
    for candidate in candidates:
        if candidate.lost:
            sync_queue(location=Location(pk=candidate.location_id), kind=kind)
    auth_demand_record(schema=connection.schema_name, candidates=candidates, now=now)
    planned = syncs_plan(candidates=candidates, now=now, schema=connection.schema_name, kind=kind)
    with transaction.atomic():
        sync_runs_fail(ids=due.stale_runs, now=now)
        runs = _runs_create(planned, now)
        messages = [(sync.location_id, sync.kind, runs[sync.location_id], sync.countdown) for sync in planned]
        transaction.on_commit(partial(_publish, messages))
    return planned


def _runs_create(planned, now):
    """Record a queued run of each planned sync in one INSERT (bulk_create would compile every row
    in Python: most of a large tick); ``{location id: run id}``. A run's ``queued_at`` is when it
    is planned to start."""
    if not planned:
        return {}
    statement, params = _runs_insert()
    with connection.cursor() as cursor:
        starts = [now + timedelta(seconds=s.countdown) for s in planned]
        cursor.execute(
            statement, [*params, [s.location_id for s in planned], [s.kind for s in planned], starts]
        )
        return {location_id: run_id for run_id, location_id in cursor.fetchall()}


@lru_cache(maxsize=1)
def _runs_insert():
    """The INSERT of queued runs (its rows first, then the transaction's commit made asynchronous),
    and its parameters but the three arrays (each run's location, kind and start): every other
    column takes its default (none depends on the time). Columns and values come from the model,
    so the statement follows its fields. Built once per process: the tick runs it in every
    agency."""
    sample = SyncRun(location_id=0, kind=SyncKind.INCREMENTAL, state=SyncState.QUEUED)
    columns, values, params = [], [], []
    for field in SyncRun._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(sql.Identifier(field.column))
        if field.attname in ("location_id", "kind", "queued_at"):
            values.append(sql.SQL("u.{}").format(sql.Identifier(field.attname)))
        else:
            values.append(sql.Placeholder())
            params.append(field.get_db_prep_save(getattr(sample, field.attname), connection))
    # The transaction commits without waiting for the disk: a tick lost in a database crash lost
    # only runs yet to start (a sync whose run is missing records one of its own: clients.sync)
    # and the failing of dead runs (the next tick fails them again).
    statement = sql.SQL(
        "INSERT INTO {table} ({columns}) SELECT {values} "
        "FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[]) AS u(location_id, kind, queued_at) "
        "RETURNING id, location_id; SET LOCAL synchronous_commit TO OFF"
    ).format(
        table=sql.Identifier(SyncRun._meta.db_table),
        columns=sql.SQL(", ").join(columns),
        values=sql.SQL(", ").join(values),
    )
    return statement.as_string(), tuple(params)  # text: a composed statement is rendered at each run


def _publish(messages):
    from clients.tasks import sync_location

    calls = (
        {"args": (location_id, kind, run_id), "countdown": countdown or None}
        for location_id, kind, run_id, countdown in messages
    )
    tasks_publish(sync_location, calls)

"""A simulated day of syncs: do 5,000 locations stay within the PulseBack sign-in budget, and fresh?

5,000 locations across 1,000 agencies, on a fake clock, through the real scheduler
(clients.scheduling.syncs_plan, the calendar of clients.auth_calendar) and the real budget
(clients.auth_budget.auth_budget_take), with no HTTP, no broker and no database (the cache is an
in-process one). A sync starts when its countdown ends (plus a worker's pickup delay), spends one
sign-in or refresh when its token has expired (1-hour tokens), and takes a few seconds; a sync
the budget refuses waits for the window it names.

Compared, in the same run, with the naive baseline (the scheduler before: every location every
SYNC_INTERVAL_MINUTES, no planning) and with the ceiling (the least any schedule can spend while
keeping the promises: busy locations hourly, every other one every 6 hours).

The targets are judged on the truth (busy: 1.5 items an hour or more); the scheduler sees only a
week of roll-ups, so the promises it makes from them (30 minutes to what they show busy) are
judged too, and late busy locations they show quiet are counted apart.

    python benchmarks/signin_budget_sim.py [--locations 5000] [--agencies 1000] [--hours 24]
"""

import argparse
import heapq
import math
import os
import random
import resource
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from _setup import django_setup

django_setup()

from django.conf import settings
from django.core.cache import caches

settings.CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": f"signin-sim-{os.getpid()}",
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "OPTIONS": {"MAX_ENTRIES": 10_000_000},
    }
}
caches._settings = caches.settings = settings.CACHES

from django.db import connection

from clients.auth_budget import auth_budget_take
from clients.auth_calendar import plan_per_minute
from clients.auth_outlook import auth_budget_outlook, auth_floor_refresh
from clients.pulseback import RateLimited
from clients.scheduling import Candidate, auth_demand_record, is_busy, syncs_plan

T0 = datetime(2030, 3, 4, tzinfo=UTC)  # measured from here; a warm-up runs before
WARMUP = timedelta(hours=8)
TOKEN_LIFETIME = 3600.0
BUSY_GAP, ANY_GAP = timedelta(minutes=30), timedelta(hours=6)


@dataclass
class Loc:
    id: int
    schema: str
    rate: float  # true items an hour
    estimate: float  # what a week of roll-ups says
    last_synced: datetime
    backfilled: datetime
    token_expires: datetime | None = None
    retry_at: datetime | None = None
    in_progress: bool = False
    longest_gap: timedelta = timedelta(0)

    @property
    def busy(self):  # the simulation's truth: at least 1.5 items an hour
        return self.rate >= 1.5


def population(locations, agencies, seed):
    """Agencies of uneven size; 3% busy locations (1.5-8 items/h), 12% moderate (0.1-0.8/h),
    85% quiet (0.003-0.1/h, log-uniform). Last syncs spread over each location's interval."""
    rng = random.Random(seed)
    weights = [1 / (rank + 1) ** 0.7 for rank in range(agencies)]  # a few large agencies, many small
    sizes = [1] * agencies
    for agency in rng.choices(range(agencies), weights, k=locations - agencies):
        sizes[agency] += 1
    locs, start = [], T0 - WARMUP
    for agency, size in enumerate(sizes):
        for _ in range(size):
            draw = rng.random()
            if draw < 0.03:
                rate = rng.uniform(1.5, 8)
            elif draw < 0.15:
                rate = rng.uniform(0.1, 0.8)
            else:
                rate = math.exp(rng.uniform(math.log(0.003), math.log(0.1)))
            estimate = _poisson(rng, rate * 168) / 168
            last = start - timedelta(minutes=rng.uniform(0, 300))
            locs.append(Loc(len(locs) + 1, f"agency_sim{agency}", rate, estimate, last,
                            backfilled=start - timedelta(hours=rng.uniform(0, 20))))  # fmt: skip
    return locs


def _poisson(rng, mean):
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    count, threshold, product = 0, math.exp(-mean), rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


class Day:
    """The event loop: ticks plan syncs; syncs spend auth calls and finish."""

    def __init__(self, locs, hours, policy, seed):
        self.locs, self.policy, self.rng = locs, policy, random.Random(seed)
        self.end = T0 + timedelta(hours=hours)
        self.by_agency = {}
        for loc in locs:
            self.by_agency.setdefault(loc.schema, []).append(loc)
        self.events, self.seq = [], 0
        self.auth_by_minute, self.refused, self.syncs = {}, 0, 0
        self.samples = {True: [], False: []}
        self.tick = timedelta(minutes=settings.SYNC_TICK_MINUTES if policy == "scheduler" else
                              settings.SYNC_INTERVAL_MINUTES)  # fmt: skip

    def push(self, at, kind, payload=None):
        self.seq += 1
        heapq.heappush(self.events, (at, self.seq, kind, payload))

    def run(self):
        now = T0 - WARMUP
        while now < self.end:
            self.push(now, "tick")
            now += self.tick
        while self.events:
            at, _, kind, payload = heapq.heappop(self.events)
            if at >= self.end:
                break
            getattr(self, f"on_{kind}")(at, payload)
        for loc in self.locs:  # the gap still open at the end counts too
            loc.longest_gap = max(loc.longest_gap, self.end - loc.last_synced)

    def on_tick(self, now, _):
        if now >= T0:
            for loc in self.locs:
                self.samples[loc.busy].append((now - loc.last_synced).total_seconds())
        if self.policy == "scheduler":
            auth_floor_refresh(schemas=list(self.by_agency), now=now)  # what beat does first
        for schema, locs in self.by_agency.items():
            if self.policy == "baseline":
                planned = [(loc, 0.0) for loc in locs if not loc.in_progress]
            else:
                candidates = [Candidate(loc.id, loc.last_synced, loc.backfilled, loc.token_expires,
                                        TOKEN_LIFETIME, loc.retry_at, loc.estimate, loc.in_progress)
                              for loc in locs]  # fmt: skip
                auth_demand_record(schema=schema, candidates=candidates, now=now)
                index = {loc.id: loc for loc in locs}
                planned = [(index[s.location_id], s.countdown)
                           for s in syncs_plan(candidates=candidates, now=now, schema=schema)]  # fmt: skip
            for loc, countdown in planned:
                loc.in_progress = True
                pickup = timedelta(seconds=countdown + self.rng.uniform(0, 3))
                self.push(now + pickup, "start", loc)

    def on_start(self, now, loc):
        usable = loc.token_expires and loc.token_expires - timedelta(seconds=60) > now
        if not usable:
            connection.set_schema(loc.schema)
            try:
                auth_budget_take(location_id=loc.id, now=now.timestamp())
            except RateLimited as exc:
                self.refused += 1
                if self.policy == "baseline":  # the old task retried after the named wait
                    self.push(now + timedelta(seconds=exc.retry_after), "start", loc)
                else:  # the sync is deferred; the scheduler takes it up again then
                    loc.retry_at, loc.in_progress = now + timedelta(seconds=exc.retry_after), False
                return
            minute = int(now.timestamp() // 60)
            self.auth_by_minute[minute] = self.auth_by_minute.get(minute, 0) + 1
            loc.token_expires = now + timedelta(seconds=TOKEN_LIFETIME)
        full = now - loc.backfilled > timedelta(hours=20)
        self.push(now + timedelta(seconds=20 if full else 3), "finish", (loc, full))

    def on_finish(self, now, payload):
        loc, full = payload
        if now >= T0:
            loc.longest_gap = max(loc.longest_gap, now - loc.last_synced)
        loc.last_synced, loc.in_progress, loc.retry_at = now, False, None
        loc.backfilled = now if full else loc.backfilled
        self.syncs += 1 if now >= T0 else 0


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def report(name, day, hours, seconds, peak):
    measured = {m: n for m, n in day.auth_by_minute.items() if m * 60 >= T0.timestamp()}
    per_hour = {}
    for minute, count in measured.items():
        per_hour[minute // 60] = per_hour.get(minute // 60, 0) + count
    budget_hour = settings.PULSEBACK_AUTH_PER_MINUTE * 60
    hourly = list(per_hour.values()) or [0]
    late = {}
    print(f"\n== {name}: {day.syncs} syncs in {hours} h, simulated in {seconds:.1f} s, peak memory "
          f"{peak / 2**20:.0f} MiB (process RSS)")  # fmt: skip
    print(f"  auth calls/hour: mean {statistics.mean(hourly):.0f}, max {max(hourly)} of {budget_hour} "
          f"({max(hourly) / budget_hour:.0%}); busiest minute {max(measured.values(), default=0)} of "
          f"{settings.PULSEBACK_AUTH_PER_MINUTE}; refused by the budget: {day.refused}")  # fmt: skip
    for busy, label in ((True, "busy"), (False, "quiet")):
        locs = [loc for loc in day.locs if loc.busy == busy]
        samples = [s / 60 for s in day.samples[busy]]
        gaps = [loc.longest_gap.total_seconds() / 60 for loc in locs]
        limit = BUSY_GAP if busy else ANY_GAP
        late[label] = sum(loc.longest_gap > limit for loc in locs)
        print(f"  {label:5} ({len(locs):4}): staleness p50 {pct(samples, .5):6.1f} min  p95 "
              f"{pct(samples, .95):6.1f} min  max {max(samples):6.1f} min; longest gap p95 "
              f"{pct(gaps, .95):6.1f} max {max(gaps):6.1f} min; longer than {limit}: "
              f"{late[label]}")  # fmt: skip
    # The scheduler can only know a week of roll-ups (the estimate): its 30 minutes go to the
    # locations they show busy (an item an hour or more). Judge it by that promise as well, and
    # count the truly busy locations it takes for quiet (their lateness it could not foresee).
    shown_busy = [loc for loc in day.locs if is_busy(loc.estimate)]
    own = sum(loc.longest_gap > (BUSY_GAP if is_busy(loc.estimate) else ANY_GAP) for loc in day.locs)
    unseen = [loc for loc in day.locs if loc.busy and not is_busy(loc.estimate)]
    late["unseen"] = sum(loc.longest_gap > BUSY_GAP for loc in unseen)
    print(f"  promises made from the roll-ups (30 min to the {len(shown_busy)} they show busy, 6 h to "
          f"the others) broken: {own}; truly busy but quiet in their roll-ups: {len(unseen)}, of "
          f"which late: {late['unseen']}")  # fmt: skip
    return max(hourly) <= budget_hour, late


def outlook(day):
    """What the operator's console shows (clients.auth_outlook), from the agencies' last ticks."""
    view = auth_budget_outlook(schemas=list(day.by_agency), now=day.end)
    print(f"  outlook: the locations need {view.demand_per_hour:.0f} auth calls/hour at their own "
          f"intervals, {view.floor_per_hour:.0f} at least (their promises), of {view.plannable_per_hour} "
          f"plannable ({view.utilisation:.0%}); {view.booked_last_hour} booked in the last hour; room for "
          f"{view.spare_locations} more locations of this mix before another egress address "
          f"is needed")  # fmt: skip


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--locations", type=int, default=5000)
    parser.add_argument("--agencies", type=int, default=1000)
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--auth-per-minute", type=int, help="another budget (to stress fewer locations)")
    args = parser.parse_args()
    if args.auth_per_minute:
        settings.PULSEBACK_AUTH_PER_MINUTE = args.auth_per_minute
    loads = " ".join(f"{load:.2f}" for load in os.getloadavg())
    print(f"load average {loads}; database: none (in-process cache); "
          f"{args.locations} locations in {args.agencies} agencies; budget "
          f"{settings.PULSEBACK_AUTH_PER_MINUTE}/min, planned at most {plan_per_minute()}/min; tick "
          f"{settings.SYNC_TICK_MINUTES} min; 1-hour tokens")  # fmt: skip
    locs = population(args.locations, args.agencies, args.seed)
    busy = sum(loc.busy for loc in locs)
    planned_busy = sum(is_busy(loc.estimate) for loc in locs)
    ceiling = busy + (len(locs) - busy) / settings.SYNC_MAX_STALENESS_HOURS
    print(f"busy locations: {busy} (the scheduler counts {planned_busy} from their roll-ups); the least "
          f"any schedule keeping the promises spends: {ceiling:.0f} auth calls/hour")  # fmt: skip
    verdicts = {}
    for policy in ("scheduler",) if args.skip_baseline else ("scheduler", "baseline"):
        caches["default"].clear()
        day = Day([Loc(**loc.__dict__) for loc in locs], args.hours, policy, args.seed)
        started = time.perf_counter()
        day.run()
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # so far, in bytes
        verdicts[policy] = report(policy, day, args.hours, seconds, peak)
        if policy == "scheduler":
            outlook(day)
    within, late = verdicts["scheduler"]
    busy_verdict = "met" if not late["busy"] else "NOT met"
    if late["unseen"]:
        busy_verdict += f" ({late['unseen']} of the late ones quiet in their roll-ups)"
    print(f"\ntargets (scheduler): within the budget every hour: {'met' if within else 'NOT met'}; "
          f"every busy location synced at least every 30 min: {busy_verdict}; "
          f"every location at least every 6 h: {'met' if not late['quiet'] else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()

"""A stateful property test (Hypothesis): syncs of every kind interleaved with random PulseBack
events (items added, removed, brought back, statuses changed either way, malformed items) and
faults (drift while paging, 5xx, 429 bursts, broken answers). After each sync, its recorded outcome
is true of what PulseBack held while it ran; after each quiet period (no drift, no fault), the
stored data equals PulseBack's exactly: ids, fields, statuses, removed flags, and the roll-ups."""

import pytest
from django.conf import settings
from django.db.models import Sum
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from clients.models import FeedbackDaily, SyncKind, SyncRun, SyncState
from clients.pulseback import PulseBackError
from clients.pulseback.sandbox import MALFORMED_KINDS
from clients.sync import location_sync
from tests.clients.sync_helpers import (  # noqa: F401 - a fixture
    assert_outcome_true,
    next_sync,
    storable_truth,
    truth_log_fixture,
)
from tests.clients.test_sync import assert_matches_ground_truth, stored

STATUSES = ("new", "reviewed", "resolved")
KINDS = (SyncKind.BACKFILL, SyncKind.INCREMENTAL, SyncKind.RECONCILE, SyncKind.FOLLOW_UP)


class SyncMachine(RuleBasedStateMachine):
    """One PulseBack account and its location; ``fixtures`` is set by the test."""

    fixtures = None

    @initialize(items=st.integers(min_value=0, max_value=260))
    def connect(self, items):
        sandbox, account, make_location, truth_log = self.fixtures
        self.sandbox = sandbox
        self.email = account(items=items)
        self.location = make_location(self.email)
        self.log = truth_log(sandbox, self.email)
        self.rng_removed = []

    def truth(self):
        return storable_truth(self.sandbox, self.email)

    # ------------------------------------------------------------------ PulseBack's own life
    @rule(count=st.integers(min_value=1, max_value=40))
    def feedback_arrives(self, count):
        self.sandbox.add_items(self.email, count=count)

    @rule(data=st.data())
    def items_removed(self, data):
        truth = self.truth()
        if truth:
            picked = data.draw(
                st.lists(st.sampled_from(truth), min_size=1, max_size=4, unique_by=lambda i: i["id"])
            )
            self.sandbox.remove_items(self.email, [item["id"] for item in picked])
            self.rng_removed.extend(picked)

    @rule(data=st.data())
    def removed_item_comes_back(self, data):
        if self.rng_removed:
            item = data.draw(st.sampled_from(self.rng_removed))
            if item["id"] in self.sandbox.removed_ids(self.email):
                self.sandbox.add_items(self.email, items=[item])

    @rule(data=st.data(), status=st.sampled_from(STATUSES))
    def statuses_change(self, data, status):
        truth = self.truth()
        if truth:
            picked = data.draw(st.lists(st.sampled_from(truth), min_size=1, max_size=5))
            self.sandbox.set_status(self.email, [item["id"] for item in picked], status)

    @rule(kind=st.sampled_from(MALFORMED_KINDS))
    def malformed_item_arrives(self, kind):
        self.sandbox.inject_malformed(self.email, [kind])

    # --------------------------------------------------------------------------- faults
    @rule(
        adds=st.integers(0, 3), removes=st.integers(0, 2), changes=st.integers(0, 3),
        every=st.integers(1, 3), among=st.sampled_from(("any", "served")),
    )  # fmt: skip
    def drift_while_paging(self, adds, removes, changes, every, among):
        self.sandbox.set_faults(
            drift_per_request=adds, drift_remove_per_request=removes, status_changes_per_request=changes,
            drift_every=every, drift_target=among,
        )  # fmt: skip

    @rule(
        errors=st.integers(0, 3), bursts=st.integers(0, 6), broken=st.integers(0, 2),
    )  # fmt: skip
    def transient_faults(self, errors, bursts, broken):
        self.sandbox.set_faults(
            api_5xx_next=errors, api_429_next=bursts, api_429_retry_after=0.01, malformed_next=broken
        )

    # ---------------------------------------------------------------------------- syncs
    @rule(kind=st.sampled_from(KINDS))
    def sync(self, kind):
        mark = self.log.mark()
        try:
            run = location_sync(location_id=self.location.pk, kind=kind)
        except PulseBackError:
            return  # recorded as failed (tests elsewhere); the data is checked after the quiet period
        days = settings.SYNC_INCREMENTAL_DAYS if kind == SyncKind.INCREMENTAL else None
        assert_outcome_true(run, self.location, self.log, mark, days=days)

    @rule()
    def quiet_period(self):
        """Faults and drift stop: the catch-ups queued run, then the nightly reconcile; each says
        the truth, and then the stored data is PulseBack's exactly."""
        self.sandbox.clear_faults()
        for _ in range(3):
            if not SyncRun.objects.filter(location=self.location, state=SyncState.QUEUED).exists():
                break
            mark = self.log.mark()
            assert_outcome_true(next_sync(self.location), self.location, self.log, mark)
        mark = self.log.mark()
        run = location_sync(location_id=self.location.pk, kind=SyncKind.RECONCILE)
        assert_outcome_true(run, self.location, self.log, mark)
        assert run.state == SyncState.SUCCEEDED
        truth = self.truth()
        assert_matches_ground_truth(self.location, truth)
        assert set(stored(self.location, removed=True)).isdisjoint(item["id"] for item in truth)
        rolled = FeedbackDaily.objects.filter(location=self.location).aggregate(n=Sum("count"))["n"] or 0
        assert rolled == len(truth)

    def teardown(self):
        if hasattr(self, "sandbox"):
            self.sandbox.clear_faults()


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_syncs_amid_random_events_and_faults_stay_exact_and_honest(
    sandbox, sandbox_account, make_location, truth_log
):
    SyncMachine.fixtures = (sandbox, sandbox_account, make_location, truth_log)
    run_state_machine_as_test(
        SyncMachine,
        settings=hypothesis_settings(
            max_examples=6, stateful_step_count=10, deadline=None, database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )  # fmt: skip

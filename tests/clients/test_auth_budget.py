from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from clients import sessions
from clients.auth_budget import AuthBudgetSpent, auth_budget_take
from clients.models import ConnectionState, SyncKind, SyncState
from clients.pulseback import RateLimited
from clients.sync import location_sync
from clients.tasks import sync_location

NOW = 1_800_000_000.0


@override_settings(PULSEBACK_AUTH_PER_MINUTE=6)
def test_one_agency_gets_at_most_half_of_a_window(agency):
    for _ in range(3):
        auth_budget_take(now=NOW)

    with pytest.raises(RateLimited) as excinfo:
        auth_budget_take(now=NOW)

    assert 0 < excinfo.value.retry_after <= 60


@override_settings(PULSEBACK_AUTH_PER_MINUTE=6)
def test_other_agencies_still_get_their_share(agency, other_agency):
    for _ in range(3):
        auth_budget_take(now=NOW)
    connection.set_tenant(other_agency)

    for _ in range(3):
        auth_budget_take(now=NOW)
    with pytest.raises(RateLimited):
        auth_budget_take(now=NOW)  # the whole window is spent now


@override_settings(PULSEBACK_AUTH_PER_MINUTE=6)
def test_the_next_window_has_a_fresh_budget(agency):
    for _ in range(3):
        auth_budget_take(now=NOW)

    auth_budget_take(now=NOW + 60)


@override_settings(PULSEBACK_AUTH_PER_MINUTE=0, PULSEBACK_WAIT_BUDGET_SECONDS=0)
def test_a_sync_without_budget_is_deferred_not_failed(
    sandbox_account, make_location, monkeypatch, django_capture_on_commit_callbacks
):
    location = make_location(sandbox_account(items=3))
    resumed = []
    monkeypatch.setattr(sync_location, "apply_async", lambda args, eta: resumed.append((args, eta)))

    with django_capture_on_commit_callbacks(execute=True):
        run = location_sync(location_id=location.pk, kind=SyncKind.BACKFILL)

    location.refresh_from_db()
    assert (run.state, location.state, location.sync_outcome) == (
        SyncState.DEFERRED, ConnectionState.RATE_LIMITED, SyncState.DEFERRED,
    )  # fmt: skip
    assert run.error.startswith("waiting for PulseBack's rate limit")
    assert timezone.now() < run.retry_at <= timezone.now() + timedelta(seconds=61)
    assert resumed == [((location.pk, SyncKind.BACKFILL, run.pk), run.retry_at)]


@override_settings(PULSEBACK_AUTH_PER_MINUTE=8)
def test_one_location_gets_at_most_a_quarter_and_cannot_starve_the_others(agency):
    for _ in range(2):
        auth_budget_take(location_id=1, now=NOW)

    with pytest.raises(AuthBudgetSpent, match="this location's share"):
        auth_budget_take(location_id=1, now=NOW)
    for _ in range(2):
        auth_budget_take(location_id=2, now=NOW)  # the agency's other locations still sign in


def test_a_sync_waits_for_the_budget_instead_of_failing(sandbox_account, make_location, monkeypatch):
    """A spent window of the sign-in budget is waited out (a wait we know), within the run's wait
    budget: the sync completes."""
    location = make_location(sandbox_account(items=3))
    refusals = [AuthBudgetSpent("the PulseBack sign-in budget is used up for now", retry_after=0.2)]

    def budget(**_):
        if refusals:
            raise refusals.pop()

    monkeypatch.setattr(sessions, "auth_budget_take", budget)

    run = location_sync(location_id=location.pk, kind=SyncKind.BACKFILL)

    assert (run.state, run.sign_ins) == (SyncState.SUCCEEDED, 1)
    assert run.waited_seconds >= 0.2

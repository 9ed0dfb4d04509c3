import pytest
from django.db import connection
from django.test import override_settings

from clients.auth_budget import auth_budget_take
from clients.models import ConnectionState, SyncKind
from clients.pulseback import RateLimited
from clients.sync import location_sync

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


@override_settings(PULSEBACK_AUTH_PER_MINUTE=0)
def test_a_sync_without_budget_is_rate_limited_not_failed_for_good(sandbox_account, make_location):
    location = make_location(sandbox_account(items=3))

    with pytest.raises(RateLimited):
        location_sync(location_id=location.pk, kind=SyncKind.BACKFILL)

    location.refresh_from_db()
    assert location.state == ConnectionState.RATE_LIMITED

"""How a location's sync state reads on its page and in the status JSON: partial, deferred, failed
and stale data in plain words, and the location's share of the sign-in budget."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from agency.team.models import Role
from clients.models import ConnectionState, Location, SyncState
from clients.sync_words import auth_spend, sync_note
from tests.conftest import host_client
from tests.factories import LocationFactory

NOW = datetime(2026, 4, 30, 10, tzinfo=UTC)
FIELDS = ("sync_outcome", "sync_unseen", "sync_retry_at", "last_synced_at", "last_error", "state")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def located(**fields):
    defaults = {"state": ConnectionState.CONNECTED, "last_synced_at": NOW - timedelta(minutes=3)}
    return LocationFactory(**{**defaults, **fields})


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"sync_outcome": SyncState.SUCCEEDED}, ""),
        ({"sync_outcome": SyncState.PARTIAL, "sync_unseen": 12, "sync_retry_at": NOW},
         "12 recent items not yet synced, retrying"),
        ({"sync_outcome": SyncState.PARTIAL, "sync_unseen": 1, "sync_retry_at": NOW + timedelta(minutes=4)},
         "1 recent item not yet synced, retrying in 4\xa0minutes"),
        ({"sync_outcome": SyncState.DEFERRED, "sync_retry_at": NOW + timedelta(minutes=14),
          "state": ConnectionState.RATE_LIMITED},
         "Waiting for PulseBack's rate limit, resuming in 14\xa0minutes"),
        ({"sync_outcome": SyncState.FAILED, "last_error": "PulseBack GET /feedback: HTTP 503",
          "state": ConnectionState.UNREACHABLE},
         "Not synced since 3\xa0minutes ago: the last sync failed (PulseBack GET /feedback: HTTP 503)"),
        ({"state": ConnectionState.PAUSED}, "Paused: not synced until it is resumed"),
    ],
    ids=["current", "partial", "partial later", "deferred", "failed", "paused"],
)  # fmt: skip
def test_the_sync_state_in_plain_words(agency, fields, words):
    location = located(**fields)

    assert sync_note(location) == words


def test_the_report_can_pass_the_fields_alone(agency):
    location = located(sync_outcome=SyncState.PARTIAL, sync_unseen=3, sync_retry_at=NOW)
    fields = Location.objects.values(*FIELDS).get(pk=location.pk)

    assert sync_note(fields) == sync_note(location) == "3 recent items not yet synced, retrying"


def test_the_sign_in_spend_of_today(agency):
    assert auth_spend(located()) == "No PulseBack sign-in or token refresh today"
    spent = located(auth_day=date(2026, 4, 30), auth_day_sign_ins=1, auth_day_refreshes=24)
    assert auth_spend(spent) == "PulseBack today: 1 sign-in, 24 token refreshes"
    yesterday = located(auth_day=date(2026, 4, 29), auth_day_sign_ins=3, auth_day_refreshes=2)
    assert auth_spend(yesterday).startswith("No PulseBack sign-in")


@pytest.fixture
def partial(agency):
    return located(
        name="Main", sync_outcome=SyncState.PARTIAL, sync_unseen=12, sync_retry_at=NOW,
        auth_day=date(2026, 4, 30), auth_day_sign_ins=1, auth_day_refreshes=5,
    )  # fmt: skip


def test_the_location_page_says_what_is_missing_and_what_it_spends(partial, agency, owner):
    page = host_client(agency, user=owner).get(f"/clients/{partial.client_id}/").content.decode()

    assert "12 recent items not yet synced, retrying" in page
    assert "PulseBack today: 1 sign-in, 5 token refreshes" in page


def test_staff_see_the_note_but_not_the_spend(partial, agency, make_user):
    page = (
        host_client(agency, user=make_user(Role.STAFF)).get(f"/clients/{partial.client_id}/").content.decode()
    )

    assert "12 recent items not yet synced" in page
    assert "token refreshes" not in page


def test_the_status_json_carries_the_outcome(partial, agency, owner):
    (entry,) = (
        host_client(agency, user=owner).get(f"/clients/{partial.client_id}/sync-status/").json()["locations"]
    )

    assert {key: entry[key] for key in ("outcome", "unseen", "note", "auth")} == {
        "outcome": "partial",
        "unseen": 12,
        "note": "12 recent items not yet synced, retrying",
        "auth": "PulseBack today: 1 sign-in, 5 token refreshes",
    }
    assert entry["retry_at"] == NOW.isoformat()

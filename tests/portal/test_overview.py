"""The agency overview at "/": every client with its figures, sync state and alerts."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agency.team.models import Role
from clients.alerts.models import Alert, AlertKind
from clients.models import ConnectionState, SyncKind, SyncRun, SyncState
from tests.conftest import host_client, login_redirect
from tests.factories import ClientFactory, FeedbackFactory, LocationFactory, rollup

NOW = datetime(2026, 4, 30, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def two_clients(agency):
    bistro = LocationFactory(client=ClientFactory(name="Bistro <b>Verde</b>"), last_synced_at=NOW)
    garage = LocationFactory(
        client=ClientFactory(name="Garage Nord"), state=ConnectionState.INVALID_CREDENTIALS
    )
    for days_ago, rating, sentiment in [(1, 5, "positive"), (2, 3, "negative"), (40, 2, "negative")]:
        FeedbackFactory(
            location=bistro, created_at=NOW - timedelta(days=days_ago), rating=rating, sentiment=sentiment
        )
    FeedbackFactory(location=garage, created_at=NOW - timedelta(days=3), rating=1, status="resolved")
    rollup(bistro.client, garage.client)
    return bistro.client, garage.client


def rows(response):
    return {row["name"]: row for row in response.context["page"]}


def test_overview_shows_every_client_with_period_figures(two_clients, agency, owner):
    response = host_client(agency, user=owner).get("/")

    assert response.status_code == 200
    bistro = rows(response)["Bistro <b>Verde</b>"]
    assert (bistro["count"], bistro["average_rating"], bistro["negative_share"], bistro["open"]) == (
        2,
        4.0,
        0.5,
        2,
    )
    assert bistro["change"] == pytest.approx(2.0)  # 4.0 now against 2.0 the 30 days before
    assert rows(response)["Garage Nord"]["invalid_credentials"] is True
    content = response.content.decode()
    assert "Bistro &lt;b&gt;Verde&lt;/b&gt;" in content and "<b>Verde</b>" not in content
    assert "Invalid credentials" in content


def test_overview_sorts_searches_and_changes_period(two_clients, agency, owner):
    client = host_client(agency, user=owner)

    by_rating = client.get("/", {"sort": "-rating"})
    searched = client.get("/", {"q": "garage"})
    week = client.get("/", {"period": "7"})

    assert [row["name"] for row in by_rating.context["page"]] == ["Bistro <b>Verde</b>", "Garage Nord"]
    assert [row["name"] for row in searched.context["page"]] == ["Garage Nord"]
    assert rows(week)["Bistro <b>Verde</b>"]["prev_count"] == 0


def test_overview_shows_a_running_sync_and_paginates(agency, owner):
    for n in range(55):
        location = LocationFactory(client=ClientFactory(name=f"Shop {n:02d}"))
    SyncRun.objects.create(location=location, kind=SyncKind.BACKFILL, state=SyncState.RUNNING)
    client = host_client(agency, user=owner)

    first, second = client.get("/"), client.get("/", {"page": 2})

    assert len(first.context["page"]) == 50 and len(second.context["page"]) == 5
    assert rows(second)["Shop 54"]["syncing"] is True
    assert b"Syncing" in second.content


def test_empty_state_without_clients(agency, owner):
    response = host_client(agency, user=owner).get("/")

    assert b"No clients yet" in response.content


@pytest.mark.parametrize("role", [Role.ADMIN, Role.STAFF])
def test_team_members_see_the_overview(two_clients, agency, make_user, role):
    response = host_client(agency, user=make_user(role)).get("/")

    assert response.status_code == 200
    assert len(response.context["page"]) == 2


def test_outsider_sees_nothing(two_clients, outsider):
    assert login_redirect(outsider.get("/"))


def test_client_viewer_goes_to_their_own_client(two_clients, agency, viewer_of):
    bistro, _ = two_clients

    response = host_client(agency, user=viewer_of(bistro)).get("/")

    assert response.status_code == 302
    assert response["Location"] == f"/clients/{bistro.pk}/"


def test_query_count_does_not_grow_with_clients(agency, owner):
    client = host_client(agency, user=owner)
    client.get("/")  # a session's first request may do its own once-only work

    def queries_with(clients):
        for _ in range(clients):
            FeedbackFactory(location=LocationFactory(client=ClientFactory()), created_at=NOW)
        with CaptureQueriesContext(connection) as context:
            assert client.get("/").status_code == 200
        return len(context.captured_queries)

    assert queries_with(3) == queries_with(30)


def test_an_unread_negative_spike_shows_on_the_overview(agency, owner):
    client = ClientFactory(name="Spiky Café")
    Alert.objects.create(kind=AlertKind.SPIKE, client=client, key="s", message="9 negative reviews")

    page = host_client(agency, user=owner).get("/").content.decode()

    assert "Negative spike" in page

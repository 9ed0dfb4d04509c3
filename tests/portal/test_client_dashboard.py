"""A client's dashboard (whole client or one location): KPIs, comparison and server-side charts."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from agency.team.models import Role
from clients.models import SyncKind, SyncRun, SyncState
from tests.conftest import host_client, login_redirect
from tests.factories import ClientFactory, FeedbackFactory, LocationFactory, rollup

NOW = datetime(2026, 4, 30, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def bistro(agency):
    client = ClientFactory(name="Bistro Verde")
    main, pier = (
        LocationFactory(client=client, name="Main"),
        LocationFactory(client=client, name="Pier <script>"),
    )
    FeedbackFactory(location=main, created_at=NOW - timedelta(days=1), rating=5, themes=["<img src=x>"])
    FeedbackFactory(
        location=main, created_at=NOW - timedelta(days=2), rating=3, sentiment="negative", status="resolved"
    )
    FeedbackFactory(location=pier, created_at=NOW - timedelta(days=3), rating=1, sentiment="negative")
    FeedbackFactory(location=main, created_at=NOW - timedelta(days=45), rating=4)
    rollup(client)
    return client


def test_dashboard_shows_kpis_against_the_previous_period(bistro, agency, owner):
    response = host_client(agency, user=owner).get(f"/clients/{bistro.pk}/")

    assert response.status_code == 200
    current, changes = response.context["current"], response.context["changes"]
    assert (current["count"], current["average_rating"], current["backlog_new"]) == (3, 3.0, 2)
    assert current["sentiment"] == {"positive": 1, "neutral": 0, "negative": 2}
    assert (changes["count"], changes["average_rating"]) == (2, -1.0)
    content = response.content.decode()
    assert content.count("<svg") >= 6  # volume, sentiment, distribution, themes, sources, locations
    assert "<script>" not in content.split("</head>")[1]
    assert "Pier &lt;script&gt;" in content and "&lt;img src=x&gt;" in content


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"period": "7d"}, 3),
        ({"period": "90d"}, 4),
        ({"period": "month"}, 3),
        ({"period": "last_month"}, 1),
        ({"period": "custom", "start": "2026-03-01", "end": "2026-03-31"}, 1),
        ({"period": "custom", "start": "nonsense"}, 3),  # falls back to 30 days
    ],
)
def test_period_picker(bistro, agency, owner, params, count):
    response = host_client(agency, user=owner).get(f"/clients/{bistro.pk}/", params)

    assert response.context["current"]["count"] == count


def test_location_dashboard_is_scoped_to_the_location(bistro, agency, owner):
    pier = bistro.locations.get(name="Pier <script>")

    response = host_client(agency, user=owner).get(f"/clients/{bistro.pk}/locations/{pier.pk}/")

    assert response.context["current"]["count"] == 1
    assert response.context["charts"]["locations"] is None


def test_location_of_another_client_is_not_found(bistro, agency, owner):
    stranger = LocationFactory()

    response = host_client(agency, user=owner).get(f"/clients/{bistro.pk}/locations/{stranger.pk}/")

    assert response.status_code == 404


def test_dashboard_shows_a_running_backfill(bistro, agency, owner):
    location = bistro.locations.get(name="Main")
    SyncRun.objects.create(
        location=location, kind=SyncKind.BACKFILL, state=SyncState.RUNNING, expected=400, fetched=100
    )

    response = host_client(agency, user=owner).get(f"/clients/{bistro.pk}/")

    assert b'value="25"' in response.content
    assert b"sync-progress.js" in response.content


def test_staff_sees_any_client(bistro, agency, make_user):
    assert host_client(agency, user=make_user(Role.STAFF)).get(f"/clients/{bistro.pk}/").status_code == 200


def test_outsider_sees_nothing(bistro, outsider):
    assert login_redirect(outsider.get(f"/clients/{bistro.pk}/"))


def test_beta_owner_cannot_reach_an_alpha_client_on_beta(bistro, beta_owner_client):
    assert beta_owner_client.get(f"/clients/{bistro.pk}/").status_code == 404


def test_client_viewer_sees_only_their_client(bistro, agency, viewer_of):
    other = ClientFactory()
    client = host_client(agency, user=viewer_of(bistro))

    assert client.get(f"/clients/{bistro.pk}/").status_code == 200
    assert client.get(f"/clients/{other.pk}/").status_code == 404

"""GET /api/v1/clients/{id}/stats and the summary of GET /api/v1/clients/{id} (feedback_stats)."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from agency.team.models import Role
from clients.models import Client, SyncKind
from clients.selectors import feedback_stats
from clients.sync import location_sync
from tests.api.conftest import ALL_ROLES

KEYS = {
    "start", "end", "timezone", "count", "average_rating", "sentiment", "negative_share", "resolved_share",
    "backlog_new", "rating_distribution",
}  # fmt: skip


@pytest.fixture
def synced_client(sandbox, sandbox_account, make_location):
    location = make_location(sandbox_account(items=40))
    location_sync(location_id=location.pk, kind=SyncKind.BACKFILL)
    return location.client


def _expected(client, start, end):
    tz = ZoneInfo(client.timezone)
    return feedback_stats(
        client_id=client.pk,
        start=datetime.combine(start, time(), tz),
        end=datetime.combine(end + timedelta(days=1), time(), tz),
    )


@pytest.mark.parametrize("role", ALL_ROLES)
def test_stats_over_a_period_are_the_dashboards(api_for, synced_client, role):
    api = api_for(role, client=synced_client)
    end = timezone.now().date() + timedelta(days=1)
    start = end - timedelta(days=3000 // 3)

    response = api.get(f"/api/v1/clients/{synced_client.pk}/stats", {"start": start, "end": end})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == KEYS
    expected = _expected(synced_client, start, end)
    assert body["count"] == expected["count"] > 0
    assert body["backlog_new"] == expected["backlog_new"]
    assert body["sentiment"] == expected["sentiment"]
    assert body["rating_distribution"] == {str(k): v for k, v in expected["rating_distribution"].items()}
    assert body["average_rating"] == pytest.approx(expected["average_rating"])


def test_the_client_detail_has_the_last_30_days_as_summary(api_for, synced_client):
    body = api_for(Role.STAFF).get(f"/api/v1/clients/{synced_client.pk}").json()

    today = timezone.now().astimezone(ZoneInfo(synced_client.timezone)).date()
    assert body["summary"]["end"] == today.isoformat()
    assert body["summary"]["count"] == _expected(synced_client, today - timedelta(days=29), today)["count"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "yesterday"}, "start"),
        ({"end": "2026-13-01"}, "end"),
        ({"start": "2026-02-01", "end": "2026-01-01"}, "end"),
        ({"start": "2000-01-01", "end": "2026-01-01"}, "start"),
    ],
)
def test_bad_periods_are_400_naming_the_field(api_for, clients_two, params, field):
    response = api_for(Role.OWNER).get(f"/api/v1/clients/{clients_two[0].pk}/stats", params)

    assert response.status_code == 400 and field in response.json()["fields"]


def test_a_client_viewer_gets_404_for_another_clients_stats(api_for, clients_two):
    api = api_for(Role.CLIENT_VIEWER, client=clients_two[0])

    assert api.get(f"/api/v1/clients/{clients_two[1].pk}/stats").status_code == 404


def test_another_agencys_client_stats_are_404(agency, other_agency, api_for):
    api = api_for(Role.OWNER)
    connection.set_tenant(other_agency)
    theirs = Client.objects.create(name="Theirs")
    connection.set_tenant(agency)

    assert api.get(f"/api/v1/clients/{theirs.pk}/stats").status_code == 404

"""GET /api/v1/feedback: PulseBack's filters and envelope, plus the portal's own filters."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from agency.team.models import Role
from clients.models import Feedback, Sentiment, Status
from tests.api.conftest import ALL_ROLES
from tests.factories import ClientFactory, FeedbackFactory, LocationFactory, rollup

PULSEBACK_FIELDS = {
    "id", "created_at", "customer_name", "customer_email", "rating", "comment", "sentiment",
    "sentiment_score", "themes", "status", "source",
}  # fmt: skip


@pytest.mark.parametrize("role", ALL_ROLES)
def test_envelope_and_items_as_pulseback_plus_client_and_location(api_for, clients_two, role):
    api = api_for(role, client=clients_two[0])

    response = api.get("/api/v1/feedback")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"feedback", "total", "limit", "offset"}
    assert (body["limit"], body["offset"]) == (20, 0)
    assert body["total"] == (3 if role == Role.CLIENT_VIEWER else 6)
    item = body["feedback"][0]
    assert set(item) == PULSEBACK_FIELDS | {"client", "location"}
    if role == Role.CLIENT_VIEWER:
        assert {i["client"] for i in body["feedback"]} == {clients_two[0].pk}


def test_newest_first_and_paging(api_for, clients_two):
    api = api_for(Role.STAFF)

    page = api.get("/api/v1/feedback", {"limit": 2, "offset": 1}).json()

    assert page["total"] == 6 and len(page["feedback"]) == 2 and page["limit"] == 2 and page["offset"] == 1
    every = api.get("/api/v1/feedback").json()["feedback"]
    stamps = [i["created_at"] for i in every]
    assert stamps == sorted(stamps, reverse=True)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "new"}, 6),
        ({"status": "resolved"}, 0),
        ({"sentiment": "negative"}, 2),
        ({"rating": 4}, 2),
        ({"source": "phone"}, 2),
        ({"theme": "service"}, 4),
        ({"q": "café rouge"}, 3),
        ({"days": 1}, 2),
    ],
)
def test_filters(api_for, clients_two, params, expected):
    assert api_for(Role.OWNER).get("/api/v1/feedback", params).json()["total"] == expected


def test_client_location_and_date_filters(api_for, clients_two):
    api = api_for(Role.OWNER)
    location = clients_two[1].locations.get()
    since = (timezone.now() - timezone.timedelta(hours=36)).isoformat()

    assert api.get("/api/v1/feedback", {"client": clients_two[0].pk}).json()["total"] == 3
    assert api.get("/api/v1/feedback", {"location": location.pk}).json()["total"] == 3
    assert api.get("/api/v1/feedback", {"since": since}).json()["total"] == 4
    assert api.get("/api/v1/feedback", {"until": since}).json()["total"] == 2


def test_text_with_nul_matches_nothing(api_for, clients_two):
    response = api_for(Role.OWNER).get("/api/v1/feedback", {"q": "a\x00b", "source": "\x00"})

    assert response.status_code == 200 and response.json()["total"] == 0


def test_removed_items_are_left_out(api_for, clients_two):
    Feedback.objects.filter(pulseback_id="Bi-0").update(removed_at=timezone.now())
    rollup(*clients_two)  # as the sync does when it marks removals

    assert api_for(Role.OWNER).get("/api/v1/feedback").json()["total"] == 5


def test_a_client_viewer_filtering_on_another_client_sees_nothing(api_for, clients_two):
    api = api_for(Role.CLIENT_VIEWER, client=clients_two[0])

    assert api.get("/api/v1/feedback", {"client": clients_two[1].pk}).json()["total"] == 0


def test_another_agencys_feedback_never_shows(agency, other_agency, api_for, clients_two):
    api = api_for(Role.OWNER)
    connection.set_tenant(other_agency)
    assert api.get("/api/v1/feedback").status_code == 200
    connection.set_tenant(agency)
    assert api.get("/api/v1/feedback").json()["total"] == 6


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "done"}, "status"),
        ({"sentiment": "angry"}, "sentiment"),
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"days": 0}, "days"),
        ({"rating": 6}, "rating"),
        ({"client": "x"}, "client"),
        ({"client": "99999999999999999999999"}, "client"),
        ({"since": "yesterday"}, "since"),
        ({"until": ""}, "until"),
        ({"limit": ""}, "limit"),
    ],
)
def test_bad_filters_are_400_naming_the_field(api_for, clients_two, params, field):
    response = api_for(Role.OWNER).get("/api/v1/feedback", params)

    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_without_a_token_it_is_401(agency):
    from tests.conftest import Api

    assert Api(agency).get("/api/v1/feedback").status_code == 401


NOW = datetime(2026, 1, 20, 15, 30, tzinfo=UTC)  # 04:30 in Auckland, 07:30 in Los Angeles


@pytest.fixture
def two_zones(agency):
    """An Auckland client and a Los Angeles one, an item every 5 hours over 5 days in each (with
    their roll-ups): every ``days`` window starts mid-day in both."""
    for zone in ("Pacific/Auckland", "America/Los_Angeles"):
        location = LocationFactory(client=ClientFactory(timezone=zone))
        for k in range(24):
            FeedbackFactory(
                location=location, created_at=NOW - timezone.timedelta(hours=5 * k),
                status=Status.values[k % 3], sentiment=Sentiment.values[k % 3],
            )  # fmt: skip
        rollup(location.client)


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    "params",
    [{"days": 1}, {"days": 2, "status": "new"}, {"days": 3, "sentiment": "negative"}, {"status": "resolved"},
     {"days": 2, "q": "lovely"}, {"days": 1, "status": "new", "sentiment": "positive"}],
)  # fmt: skip
def test_totals_of_days_windows_cutting_through_local_days_equal_the_rows(api_for, two_zones, params):
    rows = Feedback.objects.filter(**{k: v for k, v in params.items() if k in ("status", "sentiment")})
    if "days" in params:
        rows = rows.filter(created_at__gte=NOW - timezone.timedelta(days=params["days"]))

    body = api_for(Role.OWNER).get("/api/v1/feedback", {**params, "limit": 100}).json()

    assert body["total"] == len(body["feedback"]) == rows.count() > 0

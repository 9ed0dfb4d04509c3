"""The portfolio: the overview's totals, trend and "needs attention" for the agency or one client
group, and the ranking of every location across clients (sortable, exportable)."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agency.team.models import Role
from clients.alerts.models import Alert, AlertKind
from clients.models import ConnectionState
from clients.portfolio.models import ClientGroup, GroupKind
from tests.conftest import host_client
from tests.factories import ClientFactory, FeedbackFactory, LocationFactory, rollup

NOW = datetime(2026, 4, 30, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def feedback(location, *ratings, days_ago=1, sentiment="positive", status="resolved"):
    for rating in ratings:
        FeedbackFactory(location=location, created_at=NOW - timedelta(days=days_ago), rating=rating,
                        sentiment=sentiment, status=status)  # fmt: skip


@pytest.fixture
def portfolio(agency):
    """Two clients in the "North" region (three locations) and one elsewhere, all synced just now."""
    synced = {"state": ConnectionState.CONNECTED, "last_synced_at": NOW}
    bistro = ClientFactory(name="Bistro Verde")
    main = LocationFactory(client=bistro, name="Main Street", **synced)
    pier = LocationFactory(client=bistro, name="Pier", **synced)
    garage = LocationFactory(client=ClientFactory(name="Garage Nord"), name="Workshop", **synced)
    salon = LocationFactory(client=ClientFactory(name="Salon Sud"), name="Salon", **synced)
    feedback(main, 5, 5, 4, 4, 5)
    feedback(main, 3, 3, days_ago=40)  # the 30 days before: 3.0
    feedback(pier, 2, 1, sentiment="negative")
    feedback(garage, 4, 4, 4, 4, 4, 4)
    feedback(garage, 5, 5, days_ago=35)
    feedback(salon, 1, sentiment="negative", status="new", days_ago=5)
    rollup(bistro, garage.client, salon.client)
    north = ClientGroup.objects.create(name="North", kind=GroupKind.REGION)
    north.clients.add(bistro, garage.client)
    return {"main": main, "pier": pier, "garage": garage, "salon": salon, "north": north}


def test_the_overview_totals_the_whole_portfolio_against_the_period_before(portfolio, agency, owner):
    response = host_client(agency, user=owner).get("/")

    totals = response.context["totals"]
    assert (totals["clients"], totals["locations"], totals["count"]) == (3, 4, 14)
    assert totals["average_rating"] == pytest.approx(51 / 14)
    assert totals["negative_share"] == pytest.approx(3 / 14)
    assert totals["changes"]["average_rating"] == pytest.approx(51 / 14 - 16 / 4)
    assert totals["changes"]["count"] == 10  # 14 against 4
    assert (totals["open"], totals["overdue"]) == (1, 1)  # the salon's item, new for 5 days
    content = response.content.decode()
    assert "3.64★" in content and "14" in content


def test_a_group_narrows_totals_trend_attention_and_the_client_list(portfolio, agency, owner):
    north = portfolio["north"]

    response = host_client(agency, user=owner).get("/", {"group": north.pk})

    assert [row["name"] for row in response.context["page"]] == ["Bistro Verde", "Garage Nord"]
    assert response.context["totals"]["count"] == 13
    assert "Apr 29: 13" in response.context["charts"]["volume"]
    assert response.context["attention"] == []  # the salon's backlog is not the North's
    content = response.content.decode()
    assert '<h1>North <span class="muted">· Region</span></h1>' in content
    assert "Nothing needs attention" in content


def test_the_trend_covers_every_day_of_the_period_in_both_sizes(portfolio, agency, owner):
    response = host_client(agency, user=owner).get("/", {"period": "7"})

    charts = response.context["charts"]
    assert set(charts) == {"volume", "sentiment", "volume_phone", "sentiment_phone"}
    assert 'viewBox="0 0 540 250"' in charts["volume"] and 'viewBox="0 0 360 240"' in charts["volume_phone"]
    # One bar per day of the 7 (empty days included), with its count as a tooltip.
    assert charts["volume"].count("<rect") - 2 == 7  # two legend swatches
    assert "Apr 29: 13" in charts["volume"] and "Apr 25: 1" in charts["volume"]


def test_needs_attention_lists_the_most_urgent_first(portfolio, agency, owner):
    main, pier, garage = portfolio["main"], portfolio["pier"], portfolio["garage"]
    main.state, main.last_error_at = ConnectionState.INVALID_CREDENTIALS, NOW - timedelta(hours=3)
    main.save()
    pier.state, pier.last_error = ConnectionState.UNREACHABLE, "PulseBack did not answer."
    pier.save()
    garage.last_synced_at = NOW - timedelta(hours=6)
    garage.save()
    Alert.objects.create(
        kind=AlertKind.SPIKE, client=garage.client, location=garage, key="spike-1",
        message="5 negative in 24 hours at Workshop", created_at=NOW - timedelta(hours=1),
    )  # fmt: skip

    response = host_client(agency, user=owner).get("/")

    kinds = {kind["key"]: kind for kind in response.context["attention"]}
    assert list(kinds) == ["broken_login", "sync_failing", "negative_spike", "stale", "backlog"]
    assert kinds["broken_login"]["entries"][0]["location"] == "Main Street"
    assert kinds["sync_failing"]["entries"][0]["detail"] == "PulseBack did not answer."
    assert kinds["stale"]["entries"][0]["detail"] == "Last synced"
    assert kinds["backlog"]["entries"][0]["client"] == "Salon Sud"
    content = response.content.decode()
    assert content.index("Needs attention") < content.index('aria-label="Key figures')
    assert f'href="/clients/{main.client_id}/locations/{main.pk}/login/"' in content  # replace the login
    assert "5 negative in 24 hours at Workshop" in content


def test_staff_see_attention_without_the_managers_links(portfolio, agency, make_user):
    main = portfolio["main"]
    main.state = ConnectionState.INVALID_CREDENTIALS
    main.save()

    content = host_client(agency, user=make_user(Role.STAFF)).get("/").content.decode()

    assert f"/locations/{main.pk}/login/" not in content
    assert f'href="/clients/{main.client_id}/locations/{main.pk}/"' in content


def test_attention_shows_five_of_each_kind_and_counts_the_rest(agency, owner):
    for n in range(7):
        LocationFactory(client=ClientFactory(name=f"Shop {n}"), state=ConnectionState.INVALID_CREDENTIALS)

    response = host_client(agency, user=owner).get("/")

    (broken,) = response.context["attention"]
    assert (len(broken["entries"]), broken["more"], broken["total"]) == (5, 2, 7)
    assert "and 2 more" in response.content.decode()


def rank(response):
    return [(row["client_name"], row["name"]) for row in response.context["page"]]


def test_the_leaderboard_ranks_every_location_with_its_sample_sizes(portfolio, agency, owner):
    response = host_client(agency, user=owner).get("/locations/", {"min": "1"})

    assert rank(response) == [
        ("Bistro Verde", "Main Street"),
        ("Garage Nord", "Workshop"),
        ("Bistro Verde", "Pier"),
        ("Salon Sud", "Salon"),
    ]
    main = response.context["page"][0]
    assert (main["rank"], main["count"], main["average_rating"], main["prev_count"]) == (1, 5, 4.6, 2)
    assert main["change"] == pytest.approx(1.6)
    content = response.content.decode()
    assert "4.60★" in content and "n = 5" in content and "from 3.00★, n = 2" in content


def test_the_leaderboard_leaves_out_small_samples_and_says_so(portfolio, agency, owner):
    response = host_client(agency, user=owner).get("/locations/")  # at least 5 feedback by default

    assert rank(response) == [("Bistro Verde", "Main Street"), ("Garage Nord", "Workshop")]
    assert response.context["hidden"] == 2
    assert "2 locations with fewer than 5 feedback in this period are left out" in response.content.decode()


@pytest.mark.parametrize(
    ("sort", "first"),
    [("rating", "Salon"), ("-count", "Workshop"), ("-negative", "Pier"), ("change", "Workshop"),
     ("-change", "Main Street"), ("location", "Main Street")],
)  # fmt: skip
def test_the_leaderboard_sorts(portfolio, agency, owner, sort, first):
    response = host_client(agency, user=owner).get("/locations/", {"min": "1", "sort": sort})

    assert rank(response)[0][1] == first


def test_the_leaderboard_of_one_group(portfolio, agency, owner):
    north = portfolio["north"]

    response = host_client(agency, user=owner).get("/locations/", {"min": "1", "group": north.pk})

    assert {client for client, _ in rank(response)} == {"Bistro Verde", "Garage Nord"}


def test_the_leaderboard_exports_as_shown_safe_for_spreadsheets(portfolio, agency, owner):
    LocationFactory(client=ClientFactory(name='=HYPERLINK("http://x")'), name="+Evil")

    response = host_client(agency, user=owner).get("/locations/export.csv", {"min": "1", "sort": "-rating"})

    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="locations-')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:6] == ["Rank", "Client", "Location", "Feedback", "Average rating", "Negative share"]
    assert rows[1][:5] == ["1", "Bistro Verde", "Main Street", "5", "4.6"]
    assert len(rows) == 1 + 4  # the new location has no feedback: under the minimum of 1
    assert rows[2][2:4] == ["Workshop", "6"] and rows[2][9] == "-1.0"  # a number, not text
    everything = host_client(agency, user=owner).get("/locations/export.csv", {"min": "0"})
    everything_rows = list(csv.reader(io.StringIO(everything.content.decode("utf-8-sig"))))
    assert ['\'=HYPERLINK("http://x")', "'+Evil"] in [row[1:3] for row in everything_rows]


def test_client_viewers_see_no_ranking(portfolio, agency, viewer_of):
    web = host_client(agency, user=viewer_of(portfolio["main"].client))

    assert web.get("/locations/").status_code == 403
    assert web.get("/locations/export.csv").status_code == 403


@pytest.mark.parametrize("path", ["/", "/locations/?min=1"])
def test_queries_do_not_grow_with_clients(agency, owner, path):
    web = host_client(agency, user=owner)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert web.get(path).status_code == 200
        return len(captured)

    LocationFactory(client=ClientFactory(), state=ConnectionState.INVALID_CREDENTIALS)
    queries()  # a session's first request may do its own once-only work
    few = queries()
    for _ in range(12):
        location = LocationFactory(client=ClientFactory(), state=ConnectionState.INVALID_CREDENTIALS)
        feedback(location, 4)
        rollup(location.client)
    assert queries() == few

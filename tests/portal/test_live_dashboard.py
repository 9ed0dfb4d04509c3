"""The dashboard refreshes its figures when a sync finishes, without a reload: the page carries the
address of its figures alone (same client, location and period), which the server renders afresh."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from clients.models import SyncKind, SyncRun, SyncState
from tests.conftest import host_client
from tests.factories import ClientFactory, FeedbackFactory, LocationFactory, rollup

NOW = datetime(2026, 4, 30, 10, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_page_names_its_figures_and_their_scripts(agency, owner):
    location = LocationFactory(client=ClientFactory(name="Bistro Verde"))

    page = host_client(agency, user=owner).get(f"/clients/{location.client_id}/", {"period": "7d"})

    content = page.content.decode()
    assert f'data-figures-url="/clients/{location.client_id}/figures/?period=7d"' in content
    assert "js/dashboard-live.js" in content and "js/sync-progress.js" in content
    assert 'data-role="figures-note" role="status"' in content


def test_the_figures_follow_new_feedback(agency, owner):
    location = LocationFactory(client=ClientFactory(name="Bistro Verde"))
    web = host_client(agency, user=owner)
    before = web.get(f"/clients/{location.client_id}/figures/")
    SyncRun.objects.create(location=location, kind=SyncKind.BACKFILL, state=SyncState.SUCCEEDED)
    for rating in (5, 4, 3):
        FeedbackFactory(location=location, created_at=NOW - timedelta(days=1), rating=rating)
    rollup(location.client)

    after = web.get(f"/clients/{location.client_id}/figures/")

    assert before.context["current"]["count"] == 0 and after.context["current"]["count"] == 3
    content = after.content.decode()
    assert "4.00★" in content and "<html" not in content  # the figures alone, not a page
    assert "no-cache" in after["Cache-Control"]


def test_a_locations_figures_are_its_own(agency, owner):
    client = ClientFactory()
    main, pier = LocationFactory(client=client), LocationFactory(client=client)
    FeedbackFactory(location=main, created_at=NOW - timedelta(days=1))
    rollup(client)
    web = host_client(agency, user=owner)

    main_figures = web.get(f"/clients/{client.pk}/locations/{main.pk}/figures/")
    pier_figures = web.get(f"/clients/{client.pk}/locations/{pier.pk}/figures/")
    page = web.get(f"/clients/{client.pk}/locations/{pier.pk}/").content.decode()

    assert (main_figures.context["current"]["count"], pier_figures.context["current"]["count"]) == (1, 0)
    assert f'data-figures-url="/clients/{client.pk}/locations/{pier.pk}/figures/?"' in page


def test_another_clients_figures_are_not_found_for_a_business_owner(agency, viewer_of):
    mine, other = LocationFactory(), LocationFactory()
    web = host_client(agency, user=viewer_of(mine.client))

    assert web.get(f"/clients/{mine.client_id}/figures/").status_code == 200
    assert web.get(f"/clients/{other.client_id}/figures/").status_code == 404


def test_charts_come_in_a_phone_size_too(agency, owner):
    location = LocationFactory()
    FeedbackFactory(location=location, created_at=NOW - timedelta(days=1))
    rollup(location.client)

    content = host_client(agency, user=owner).get(f"/clients/{location.client_id}/").content.decode()

    assert content.count('class="chart-phone"') == 2 and content.count('class="chart-wide"') == 2
    assert content.count('viewBox="0 0 360 240"') == 2


def test_every_day_of_the_period_has_its_bar(agency, owner):
    location = LocationFactory()
    for days_ago in (1, 9):
        FeedbackFactory(location=location, created_at=NOW - timedelta(days=days_ago))
    rollup(location.client)

    charts = host_client(agency, user=owner).get(f"/clients/{location.client_id}/").context["charts"]

    for chart in (charts["volume"], charts["volume_phone"]):
        assert chart.count("<rect") == 2 + 30  # the legend's two swatches, and a bar for each of 30 days
        assert "Apr 25: 0" in chart and "Apr 29: 1" in chart

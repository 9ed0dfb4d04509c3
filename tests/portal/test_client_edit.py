"""Editing a client: a new time zone rebuilds its daily roll-ups."""

from datetime import UTC, date, datetime

import pytest

from agency.team.models import Role
from clients.models import FeedbackDaily
from tests.conftest import host_client, login_redirect
from tests.factories import ClientFactory, FeedbackFactory, LocationFactory, rollup


@pytest.fixture
def client(agency):
    client = ClientFactory(name="Bistro", timezone="UTC")
    FeedbackFactory(location=LocationFactory(client=client), created_at=datetime(2026, 3, 10, 22, tzinfo=UTC))
    rollup(client)
    return client


def test_edit_changes_details_and_rebuilds_roll_ups_for_a_new_time_zone(client, agency, owner):
    response = host_client(agency, user=owner).post(
        f"/clients/{client.pk}/edit/",
        {
            "name": "Bistro Verde",
            "timezone": "Asia/Tokyo",
            "report_recipients": "boss@bistro.test",
            "notes": "<b>",
        },
    )

    assert response.status_code == 302
    client.refresh_from_db()
    assert (client.name, client.timezone, client.report_recipients) == (
        "Bistro Verde",
        "Asia/Tokyo",
        ["boss@bistro.test"],
    )
    assert list(FeedbackDaily.objects.filter(client=client).values_list("day", flat=True)) == [
        date(2026, 3, 11)
    ]


def test_edit_form_shows_current_values(client, agency, owner):
    response = host_client(agency, user=owner).get(f"/clients/{client.pk}/edit/")

    assert response.status_code == 200
    assert response.context["form"].initial["name"] == "Bistro"


def test_unknown_time_zone_is_refused(client, agency, owner):
    response = host_client(agency, user=owner).post(
        f"/clients/{client.pk}/edit/", {"name": "X", "timezone": "Mars/Base"}
    )

    assert "timezone" in response.context["form"].errors


@pytest.mark.parametrize("role", [Role.STAFF, Role.CLIENT_VIEWER])
def test_staff_and_viewers_may_not_edit(client, agency, make_user, role):
    assert host_client(agency, user=make_user(role)).get(f"/clients/{client.pk}/edit/").status_code == 403


def test_outsider_may_not_edit(client, outsider):
    assert login_redirect(outsider.post(f"/clients/{client.pk}/edit/", {"name": "X", "timezone": "UTC"}))

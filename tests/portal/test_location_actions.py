"""Pausing, resuming and syncing a location now, from the client dashboard."""

import pytest

from agency.team.models import Role
from clients.models import ConnectionState, SyncKind, SyncRun, SyncState
from tests.conftest import host_client, login_redirect
from tests.factories import LocationFactory


@pytest.fixture
def location(agency):
    return LocationFactory(state=ConnectionState.CONNECTED)


def url(location, action):
    return f"/clients/{location.client_id}/locations/{location.pk}/{action}/"


def test_pause_then_resume_queues_a_backfill(location, agency, owner):
    browser = host_client(agency, user=owner)

    browser.post(url(location, "pause"))
    location.refresh_from_db()
    assert location.state == ConnectionState.PAUSED
    refused = browser.post(url(location, "sync"), follow=True)
    assert b"This location is paused" in refused.content

    browser.post(url(location, "resume"))
    location.refresh_from_db()
    assert location.state == ConnectionState.PENDING
    assert SyncRun.objects.get(location=location).kind == SyncKind.BACKFILL


def test_sync_now_queues_an_incremental_sync_after_the_backfill(location, agency, owner):
    location.backfilled_at = location.created_at
    location.save()

    response = host_client(agency, user=owner).post(url(location, "sync"))

    assert response.status_code == 302
    run = SyncRun.objects.get(location=location)
    assert (run.kind, run.state) == (SyncKind.INCREMENTAL, SyncState.QUEUED)


def test_actions_need_post(location, agency, owner):
    assert host_client(agency, user=owner).get(url(location, "pause")).status_code == 405


@pytest.mark.parametrize("role", [Role.STAFF, Role.CLIENT_VIEWER])
def test_staff_and_viewers_may_not(location, agency, make_user, role):
    assert host_client(agency, user=make_user(role)).post(url(location, "sync")).status_code == 403
    assert not SyncRun.objects.exists()


def test_outsider_may_not(location, outsider):
    assert login_redirect(outsider.post(url(location, "pause")))

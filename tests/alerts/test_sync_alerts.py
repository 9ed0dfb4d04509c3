"""A refused PulseBack login and syncs failing in a row raise alerts as the sync announces them
(agency.events), once per occurrence, through the same rules, emails and chat channels."""

import pytest
from django.core import mail

from clients.alerts.models import Alert, AlertKind, AlertRule
from clients.alerts.services import alert_sync_failing
from clients.models import ConnectionState, SyncKind, SyncRun, SyncState
from clients.pulseback import Unavailable
from clients.sync import location_sync


def test_a_refused_login_raises_one_alert_that_links_to_replacing_it(
    sandbox_account, make_location, eager_tasks, django_capture_on_commit_callbacks
):
    location = make_location(sandbox_account(items=3), password="wrong-password")

    with django_capture_on_commit_callbacks(execute=True):
        location_sync(location_id=location.pk, kind=SyncKind.BACKFILL)
        location_sync(location_id=location.pk, kind=SyncKind.INCREMENTAL)  # still refused: no new alert

    (alert,) = Alert.objects.all()
    assert alert.kind == AlertKind.LOGIN_BROKEN and alert.location == location
    assert alert.message == (
        "PulseBack refused the login of Bistro Verde — Main Street: its feedback is not synced until "
        "someone enters the new password."
    )
    (email,) = mail.outbox
    assert email.subject == "Bistro Verde: PulseBack login refused"
    link = f"http://alpha.localhost/clients/{location.client_id}/locations/{location.pk}/login/"
    assert link in email.body and "Main Street" in email.body


def test_syncs_failing_in_a_row_raise_one_alert_per_streak(sandbox, sandbox_account, make_location):
    location = make_location(sandbox_account(items=3))
    AlertRule.objects.create(kind=AlertKind.SYNC_FAILING, failures_in_row=2)

    def sync():
        with pytest.raises(Unavailable):
            location_sync(location_id=location.pk, kind=SyncKind.INCREMENTAL)

    sandbox.set_faults(api_5xx_next=10_000)
    sync()
    assert not Alert.objects.exists()
    sync()
    sync()
    (alert,) = Alert.objects.all()
    assert alert.kind == AlertKind.SYNC_FAILING
    assert alert.message.startswith("The last 2 syncs of Bistro Verde — Main Street failed (last: ")

    sandbox.clear_faults()
    location_sync(location_id=location.pk, kind=SyncKind.INCREMENTAL)  # a success ends the streak
    sandbox.set_faults(api_5xx_next=10_000)
    sync()
    sync()
    assert Alert.objects.filter(kind=AlertKind.SYNC_FAILING).count() == 2


def test_failures_of_a_refused_login_are_left_to_the_login_alert(make_location, sandbox_account):
    location = make_location(sandbox_account(items=3))
    for _ in range(5):
        SyncRun.objects.create(location=location, kind=SyncKind.INCREMENTAL, state=SyncState.FAILED)
    location.state = ConnectionState.INVALID_CREDENTIALS
    location.save()

    assert alert_sync_failing(location=location, error="refused") is None


def test_a_muted_rule_raises_nothing(make_location, sandbox_account):
    location = make_location(sandbox_account(items=3), password="wrong-password")
    AlertRule.objects.create(kind=AlertKind.LOGIN_BROKEN, client=location.client, muted=True)

    location_sync(location_id=location.pk, kind=SyncKind.BACKFILL)

    assert not Alert.objects.exists()

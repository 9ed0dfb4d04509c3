import logging

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from clients.models import Client, ConnectionState, SyncKind, SyncRun, SyncState
from clients.services import client_create, location_pause, location_resume, location_set_credentials
from clients.sessions import location_endpoints
from clients.sync import location_sync
from tests.clients.conftest import SANDBOX_PASSWORD


@pytest.fixture
def endpoints(sandbox_server):
    return {
        "api_url": sandbox_server.api_url,
        "auth_url": sandbox_server.auth_url,
        "anon_key": sandbox_server.anon_key,
    }


def test_single_location_client_is_one_call_and_queues_its_backfill(
    agency, endpoints, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as sends:
        client, location = client_create(
            actor=None,
            name="Bistro Verde",
            pulseback_email="Bistro@Sandbox.PulseBack.test",
            pulseback_password=SANDBOX_PASSWORD,
            timezone_name="Europe/Paris",
            report_recipients=["owner@bistro.example"],
            **endpoints,
        )

    assert (location.name, location.pulseback_email) == ("Bistro Verde", "bistro@sandbox.pulseback.test")
    assert len(sends) == 1
    assert SyncRun.objects.get(location=location).kind == SyncKind.BACKFILL


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"pulseback_email": "nope"}, "pulseback_email"),
        ({"pulseback_password": ""}, "pulseback_password"),
        ({"timezone_name": "Nowhere/City"}, "timezone"),
        ({"api_url": "http://192.168.1.10/api"}, "api_url"),
        ({"auth_url": "https://169.254.169.254/"}, "auth_url"),
        ({"api_url": "ftp://pulseback.example/api"}, "api_url"),
        ({"anon_key": ""}, "anon_key"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(agency, endpoints, changes, field):
    kwargs = {
        "name": "X",
        "pulseback_email": "x@sandbox.pulseback.test",
        "pulseback_password": "pw",
        **endpoints,
    }

    with pytest.raises(ValidationError) as excinfo:
        client_create(actor=None, **{**kwargs, **changes})

    assert field in excinfo.value.message_dict
    assert not Client.objects.exists()


@override_settings(PULSEBACK_SANDBOX_ENABLED=False)
def test_plain_http_is_refused_even_on_loopback_without_the_sandbox(agency, endpoints):
    with pytest.raises(ValidationError) as excinfo:
        client_create(
            actor=None,
            name="X",
            pulseback_email="x@sandbox.pulseback.test",
            pulseback_password="pw",
            **endpoints,
        )

    assert set(excinfo.value.message_dict) >= {"api_url", "auth_url"}


def test_a_stored_location_with_an_internal_address_is_never_fetched(agency, make_location):
    location = make_location("x@sandbox.pulseback.test")
    location.api_url = "http://10.1.2.3/api"

    with pytest.raises(ValueError, match="must use https"):
        location_endpoints(location)


def test_pause_and_resume(agency, make_location, django_capture_on_commit_callbacks):
    location = make_location("x@sandbox.pulseback.test")
    location_pause(actor=None, location=location)
    assert location.state == ConnectionState.PAUSED

    with django_capture_on_commit_callbacks() as sends:
        location_resume(actor=None, location=location)

    assert location.state == ConnectionState.PENDING
    assert len(sends) == 1


def test_replacing_credentials_drops_the_session_and_recovers(sandbox_account, make_location):
    email = sandbox_account(items=4)
    location = make_location(email, password="wrong")
    location_sync(location_id=location.pk, kind=SyncKind.BACKFILL)
    location.refresh_from_db()
    assert location.state == ConnectionState.INVALID_CREDENTIALS

    location_set_credentials(
        actor=None, location=location, pulseback_email=email, pulseback_password=SANDBOX_PASSWORD
    )
    run = location_sync(location_id=location.pk, kind=SyncKind.BACKFILL)

    location.refresh_from_db()
    assert (run.state, location.state, location.feedback.count()) == (SyncState.SUCCEEDED, "connected", 4)


def test_passwords_and_tokens_never_reach_the_logs(sandbox_account, make_location, caplog):
    location = make_location(sandbox_account(items=4), password="Sup3r-secret-pw")

    with caplog.at_level(logging.DEBUG):
        location_sync(location_id=location.pk, kind=SyncKind.BACKFILL)
        location.refresh_from_db()

    assert "Sup3r-secret-pw" not in caplog.text
    assert "Sup3r-secret-pw" not in location.last_error
    assert "Sup3r-secret-pw" not in repr(location.pulseback_password)

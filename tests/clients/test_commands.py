import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from agency.crypto import CredentialsKeyError
from clients.models import Client, Location, SyncRun, SyncState
from tests.clients.conftest import SANDBOX_PASSWORD


def test_add_client_prints_ids_and_queues_a_backfill(agency, sandbox_server, capsys):
    connection.set_schema_to_public()

    call_command(
        "add_client", "--agency=alpha", "--name=Café Lumière",
        "--pulseback-email=cafe@sandbox.pulseback.test",
        f"--pulseback-password={SANDBOX_PASSWORD}", f"--api-url={sandbox_server.api_url}",
        f"--auth-url={sandbox_server.auth_url}", f"--anon-key={sandbox_server.anon_key}",
    )  # fmt: skip

    out = capsys.readouterr().out
    connection.set_tenant(agency)
    client = Client.objects.get(name="Café Lumière")
    location = client.locations.get()
    assert out.strip() == f"client {client.pk} location {location.pk}"
    assert SyncRun.objects.get(location=location).state == SyncState.QUEUED
    assert SANDBOX_PASSWORD not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--agency=nope"], "no agency with slug 'nope'"),
        (["--pulseback-email=not-an-email"], "pulseback_email: Enter the PulseBack login email."),
        (["--api-url=http://10.0.0.8/api"], "api_url:"),
        (["--timezone=Mars/Olympus"], "is not a known time zone"),
    ],
)
def test_add_client_bad_input(agency, args, message):
    connection.set_schema_to_public()
    base = [
        "--agency=alpha",
        "--name=X",
        "--pulseback-email=x@sandbox.pulseback.test",
        "--pulseback-password=pw",
    ]
    overridden = {a.split("=")[0] for a in args}

    with pytest.raises(CommandError, match=message):
        call_command("add_client", *[a for a in base if a.split("=")[0] not in overridden], *args)

    connection.set_tenant(agency)
    assert not Client.objects.exists()


def test_sync_feedback_runs_in_the_foreground_with_a_summary(sandbox_account, make_location, capsys):
    location = make_location(sandbox_account(items=42))
    connection.set_schema_to_public()

    call_command("sync_feedback", "--agency=alpha", f"--client={location.client_id}")

    out = capsys.readouterr().out
    assert "(backfill)" in out
    assert "42 fetched in 1 pages: 42 new, 0 updated, 0 unchanged, 0 removed, 0 skipped" in out


def test_sync_feedback_full_reconciles(sandbox_account, make_location, capsys):
    make_location(sandbox_account(items=5))
    connection.set_schema_to_public()
    call_command("sync_feedback", "--agency=alpha")

    call_command("sync_feedback", "--agency=alpha", "--full")

    out = capsys.readouterr().out
    assert "(reconcile)" in out
    assert "5 fetched in 1 pages: 0 new, 0 updated, 5 unchanged" in out


def test_sync_feedback_unknown_client_is_a_clear_error(agency):
    connection.set_schema_to_public()

    with pytest.raises(CommandError, match="agency alpha has no client 424242"):
        call_command("sync_feedback", "--agency=alpha", "--client=424242")


def test_sync_feedback_reports_a_location_that_failed(sandbox_account, make_location, capsys):
    make_location(sandbox_account(items=5), password="wrong")
    connection.set_schema_to_public()

    with pytest.raises(CommandError, match="1 location"):
        call_command("sync_feedback", "--agency=alpha")

    assert "PulseBack refused the login" in capsys.readouterr().err


def test_rotate_credentials_re_encrypts_with_the_new_key(agency, sandbox_account, make_location, settings):
    location = make_location(sandbox_account(items=1))
    old_keys = settings.CREDENTIALS_KEYS
    new_key = Fernet.generate_key().decode()

    with override_settings(CREDENTIALS_KEYS=[new_key, *old_keys]):
        connection.set_schema_to_public()
        call_command("rotate_credentials")
    connection.set_tenant(agency)

    with override_settings(CREDENTIALS_KEYS=[new_key]):
        assert Location.objects.get(pk=location.pk).pulseback_password.reveal() == SANDBOX_PASSWORD
    with override_settings(CREDENTIALS_KEYS=old_keys), pytest.raises(CredentialsKeyError):
        Location.objects.get(pk=location.pk)

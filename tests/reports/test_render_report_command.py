from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection

from tests.factories import FeedbackFactory, LocationFactory, rollup

NOW = datetime(2026, 10, 5, tzinfo=UTC)


@pytest.fixture
def client_id(agency):
    location = LocationFactory(client__timezone="UTC")
    FeedbackFactory(location=location, created_at=datetime(2026, 9, 12, tzinfo=UTC))
    rollup(location.client)
    connection.set_schema_to_public()
    return location.client_id


def test_writes_the_pdf(client_id, tmp_path, capsys):
    out = tmp_path / "report.pdf"

    with time_machine.travel(NOW, tick=False):
        call_command("render_report", "--agency=alpha", f"--client={client_id}",
                     "--start=2026-09-01", "--end=2026-09-30", f"--out={out}")  # fmt: skip

    assert out.read_bytes()[:4] == b"%PDF"
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start=2026-09-30", "--end=2026-09-01"], "start of the period is after its end"),
        (["--start=2026-10-01", "--end=2026-10-31"], "must have ended"),
        (["--start=2026-09-01", "--end=2026-13-01"], "is not a date"),
        (["--client=999999", "--start=2026-09-01", "--end=2026-09-30"], "has no client 999999"),
        (["--agency=nope", "--start=2026-09-01", "--end=2026-09-30"], "no agency with slug 'nope'"),
    ],
)
def test_bad_input_is_a_clear_error(client_id, tmp_path, args, message):
    base = {"--agency": "alpha", "--client": str(client_id)}
    given = {a.split("=")[0] for a in args}
    argv = [f"{k}={v}" for k, v in base.items() if k not in given] + args + [f"--out={tmp_path / 'r.pdf'}"]

    with time_machine.travel(NOW, tick=False), pytest.raises(CommandError, match=message):
        call_command("render_report", *argv)

    assert not (tmp_path / "r.pdf").exists()

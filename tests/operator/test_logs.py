"""LOG_FORMAT=json: one JSON object a line, and every line of a sync says whose it is (agency,
location, run), the lines of its page-fetching thread included."""

import io
import json
import logging

import pytest

from agency.logs import ContextFilter, JsonFormatter, log_context
from clients.models import SyncKind, SyncRun
from clients.tasks import sync_location


@pytest.fixture
def json_lines():
    """What the console handler of LOG_FORMAT=json writes, as parsed lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_a_line_in_a_context(json_lines):
    with log_context(agency="agency_alpha", location=7, run=12):
        logging.getLogger("clients.sync").warning("page %s of %s", 2, "Main Street")
    logging.getLogger("clients.sync").info("outside")

    inside, outside = json_lines()
    assert inside["message"] == "page 2 of Main Street"
    assert (inside["level"], inside["logger"]) == ("WARNING", "clients.sync")
    assert (inside["agency"], inside["location"], inside["run"]) == ("agency_alpha", 7, 12)
    assert inside["time"].endswith("+00:00")
    assert "agency" not in outside and "location" not in outside


def test_every_line_of_a_sync_task_names_agency_location_and_run(
    agency, sandbox, sandbox_account, make_location, json_lines
):
    location = make_location(sandbox_account(items=250))
    run = SyncRun.objects.create(location=location, kind=SyncKind.BACKFILL)
    sandbox.set_faults(api_5xx_next=1)  # a retried page: logged by the fetching thread

    sync_location.apply(
        args=(location.pk, SyncKind.BACKFILL, run.pk), headers={"_schema_name": "agency_alpha"}
    )

    lines = [line for line in json_lines() if line["logger"].startswith("clients")]
    assert any(line["message"].startswith("synced location") for line in lines)
    assert any("retry" in line["message"].lower() or "503" in line["message"] for line in lines), lines
    assert {(line.get("agency"), line.get("location"), line.get("run")) for line in lines} == {
        ("agency_alpha", location.pk, run.pk)
    }
    assert {line.get("task") for line in lines} == {"clients.tasks.sync_location"}

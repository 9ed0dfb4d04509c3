"""Many tasks queued at once (agency.fanout): real Celery messages, read back off the broker."""

import pytest
from django.db import connection
from django.utils import timezone

from agency.fanout import AgenciesFailed, agencies_run, tasks_publish
from agency.models import Agency
from clients.models import Location
from clients.tasks import sync_location
from tests.conftest import published


def test_each_message_is_celerys_own_with_its_arguments_shown_to_monitoring(db):
    calls = [{"args": (7, "incremental", 9)}, {"args": ("x" * 2000, "incremental", 1), "countdown": 90}]

    with published(sync_location) as messages:
        assert tasks_publish(sync_location, calls) == 2

    short, long = (message["headers"] for message in messages)
    assert (short["task"], short["argsrepr"], short["kwargsrepr"]) == (
        "clients.tasks.sync_location",
        "(7, 'incremental', 9)",
        "{}",
    )
    assert short["eta"] is None and long["eta"] is not None  # a countdown becomes an ETA
    assert len(long["argsrepr"]) == 1024 and long["argsrepr"].endswith("...")  # Celery's limit
    assert short["id"] != long["id"] and short["origin"] == long["origin"]


def test_a_batch_does_each_agencys_share_in_its_schema_and_a_failure_stops_no_other(
    agency, other_agency, caplog
):
    connection.set_schema_to_public()
    seen = []

    def work():
        seen.append(connection.schema_name)
        if connection.schema_name == agency.schema_name:
            raise ValueError("broken in alpha")
        return Location.objects.count()

    with pytest.raises(AgenciesFailed, match=f"failed in 1 of 2 agencies: {agency.schema_name}$"):
        agencies_run([agency.schema_name, other_agency.schema_name], work)

    assert seen == [agency.schema_name, other_agency.schema_name]
    (logged,) = [record for record in caplog.records if record.exc_info]
    assert logged.agency == agency.schema_name and "broken in alpha" in logged.exc_text
    assert connection.schema_name == "public"


def test_a_batch_leaves_out_an_agency_suspended_or_deleted_since_it_was_queued(agency, other_agency):
    connection.set_schema_to_public()
    Agency.objects.filter(pk=other_agency.pk).update(suspended_at=timezone.now())
    schemas = [agency.schema_name, other_agency.schema_name, "agency_gone"]

    assert agencies_run(schemas, lambda: connection.schema_name) == {agency.schema_name: agency.schema_name}

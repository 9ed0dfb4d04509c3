"""Many tasks queued at once (agency.fanout): real Celery messages, read back off the broker."""

from agency.fanout import tasks_publish
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

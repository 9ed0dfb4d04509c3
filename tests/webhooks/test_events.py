"""Events come from the sync: one fan-out task per written batch, nothing for a backfill."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agency.webhooks import tasks as webhook_tasks
from agency.webhooks.models import WebhookDelivery
from agency.webhooks.services import endpoint_create
from clients.integrations import receivers, tasks
from clients.models import Location, SyncKind, SyncRun
from clients.sync import location_sync


@pytest.fixture
def queued(monkeypatch):
    """Tasks are recorded instead of sent to the broker: {task name: [args, ...]}."""
    sent = {"batch": [], "deliver": []}
    monkeypatch.setattr(tasks.webhook_sync_batch, "delay", lambda *args: sent["batch"].append(args))
    monkeypatch.setattr(webhook_tasks.webhook_deliver, "delay", lambda *args: sent["deliver"].append(args))
    return sent


@pytest.fixture
def connected(sandbox, sandbox_account, make_location):
    """A location whose backfill ran (30 items), connected an hour ago."""
    email = sandbox_account(items=30)
    location = make_location(email)
    location_sync(location_id=location.pk, kind=SyncKind.BACKFILL)
    Location.objects.filter(pk=location.pk).update(connected_at=timezone.now() - timedelta(hours=1))
    return email, Location.objects.get(pk=location.pk)


def _run_batches(queued):
    for location_id, kind, written_at in queued["batch"]:
        receivers.sync_batch_events(location_id=location_id, kind=kind, written_at=written_at)


def test_new_and_negative_feedback_and_status_changes_become_events(
    sandbox, connected, receiver, queued, django_capture_on_commit_callbacks
):
    email, location = connected
    endpoint, _ = endpoint_create(
        actor=None,
        url=receiver.url,
        events=["feedback.created", "feedback.negative", "feedback.status_changed"],
    )
    new_ids = sandbox.add_items(email, items=[{"rating": 1, "comment": "cold soup"}, {"rating": 5}])
    old_id = location.feedback.exclude(status="resolved").values_list("pulseback_id", flat=True)[0]
    sandbox.set_status(email, [old_id], "resolved")

    with django_capture_on_commit_callbacks(execute=True):
        location_sync(location_id=location.pk, kind=SyncKind.RECONCILE)
    assert len(queued["batch"]) == 1  # one task for the batch, not one per item
    with django_capture_on_commit_callbacks(execute=True):
        _run_batches(queued)

    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint)
    created = {d.payload["data"]["id"] for d in deliveries if d.event == "feedback.created"}
    negative = {d.payload["data"]["id"] for d in deliveries if d.event == "feedback.negative"}
    changed = [d.payload["data"] for d in deliveries if d.event == "feedback.status_changed"]
    assert created == set(new_ids)
    assert negative == {new_ids[0]}
    assert [(c["id"], c["new_status"]) for c in changed] == [(old_id, "resolved")]
    assert len(queued["deliver"]) == deliveries.count() == 4
    payload = deliveries.first().payload
    assert set(payload) == {"id", "type", "created_at", "data"}
    assert payload["data"]["client"] == location.client_id and payload["data"]["location"] == location.pk


def test_a_backfill_fires_no_feedback_created(
    sandbox, sandbox_account, make_location, receiver, queued, django_capture_on_commit_callbacks
):
    endpoint_create(actor=None, url=receiver.url, events=["feedback.created"])
    location = make_location(sandbox_account(items=1500))

    with django_capture_on_commit_callbacks(execute=True):
        run = location_sync(location_id=location.pk, kind=SyncKind.BACKFILL)

    assert run.created == 1500
    assert queued["batch"] == [] and WebhookDelivery.objects.count() == 0


def test_no_endpoint_means_no_task_at_all(sandbox, connected, queued, django_capture_on_commit_callbacks):
    email, location = connected
    sandbox.add_items(email, count=3)

    with django_capture_on_commit_callbacks(execute=True):
        location_sync(location_id=location.pk, kind=SyncKind.INCREMENTAL)

    assert queued["batch"] == []


def test_endpoints_filtered_by_client_get_only_that_clients_events(
    sandbox, connected, receiver, queued, django_capture_on_commit_callbacks
):
    from clients.models import Client

    email, location = connected
    other_client = Client.objects.create(name="Someone else")
    mine, _ = endpoint_create(
        actor=None, url=receiver.url, events=["feedback.created"], client=location.client
    )
    theirs, _ = endpoint_create(
        actor=None, url=receiver.url, events=["feedback.created"], client=other_client
    )
    sandbox.add_items(email, count=2)

    with django_capture_on_commit_callbacks(execute=True):
        location_sync(location_id=location.pk, kind=SyncKind.INCREMENTAL)
    with django_capture_on_commit_callbacks(execute=True):
        _run_batches(queued)

    assert WebhookDelivery.objects.filter(endpoint=mine).count() == 2
    assert WebhookDelivery.objects.filter(endpoint=theirs).count() == 0


def test_a_failed_sync_emits_sync_failed(
    sandbox, connected, receiver, queued, django_capture_on_commit_callbacks
):
    _email, location = connected
    endpoint_create(actor=None, url=receiver.url, events=["sync.failed"])
    Location.objects.filter(pk=location.pk).update(
        pulseback_password="wrong", access_token=None, refresh_token=None
    )

    with django_capture_on_commit_callbacks(execute=True):
        run = location_sync(location_id=location.pk, kind=SyncKind.INCREMENTAL)

    (delivery,) = WebhookDelivery.objects.filter(event="sync.failed")
    assert delivery.payload["data"]["sync_run"] == run.pk == SyncRun.objects.get(pk=run.pk).pk
    assert delivery.payload["data"]["location"] == location.pk and delivery.payload["data"]["error"]

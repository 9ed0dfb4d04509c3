"""Delivery over real HTTP on loopback to a receiver that fails at first; retries; disabling."""

import pytest
from django.core import mail

from agency.team.models import Role
from agency.webhooks import services, tasks
from agency.webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from agency.webhooks.services import endpoint_create, events_emit
from agency.webhooks.signing import signature_verify
from tests.webhooks.test_signing import receiver_verifies


@pytest.fixture
def sent(monkeypatch):
    ids = []
    monkeypatch.setattr(tasks.webhook_deliver, "delay", lambda pk: ids.append(pk))
    return ids


def deliver_like_the_worker(ids, max_rounds=20):
    """What Celery does, in-process: attempt each delivery, and again after a (skipped) backoff."""
    pending = list(ids)
    for _round in range(max_rounds):
        retry = []
        for pk in pending:
            try:
                services.delivery_attempt(delivery_id=pk)
            except services.DeliveryRetry:
                retry.append(pk)
        pending = retry
        if not pending:
            return


EVENTS = [
    ("feedback.created", None, {"id": "fb-1", "rating": 5}),
    ("feedback.negative", None, {"id": "fb-2", "rating": 1}),
    ("sync.failed", None, {"sync_run": 7, "error": "PulseBack refused the login"}),
]


def test_every_event_arrives_signed_and_retries_keep_the_event_id(
    agency, receiver, sent, django_capture_on_commit_callbacks
):
    endpoint, secret = endpoint_create(
        actor=None, url=receiver.url, events=["feedback.created", "feedback.negative", "sync.failed"]
    )
    receiver.fail_first = 4
    with django_capture_on_commit_callbacks(execute=True):
        events_emit(events=EVENTS)

    deliver_like_the_worker(sent)

    delivered = receiver.delivered()
    assert sorted(p["type"] for _h, p in delivered) == sorted(e[0] for e in EVENTS)
    for headers, payload in delivered:
        assert headers["X-Portal-Event-Id"] == payload["id"]
        body = next(
            b for s, h, b, _p in receiver.requests if s == 200 and h["X-Portal-Event-Id"] == payload["id"]
        )
        assert receiver_verifies(secret, headers["X-Portal-Signature"], body)
        assert signature_verify(secret=secret, header=headers["X-Portal-Signature"], body=body)
    failed_ids = [h["X-Portal-Event-Id"] for s, h, _b, _p in receiver.requests if s == 500]
    assert len(failed_ids) == 4
    assert set(failed_ids) <= {p["id"] for _h, p in delivered}  # a retry carries the same event id
    assert all(d.state == DeliveryState.SUCCEEDED for d in WebhookDelivery.objects.all())
    retried = WebhookDelivery.objects.filter(attempts__gt=1)
    assert retried.exists() and all(d.response_code == 200 and d.duration_ms is not None for d in retried)
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.consecutive_failures == 0


def test_a_receiver_that_keeps_failing_gets_its_endpoint_disabled_and_managers_told(
    agency, owner, make_user, receiver, sent, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 5
    settings.WEBHOOKS_MAX_ATTEMPTS = 4
    admin = make_user(Role.ADMIN)
    make_user(Role.STAFF)
    endpoint, _ = endpoint_create(
        actor=None, url=receiver.url, events=["feedback.created"], description="Zapier"
    )
    receiver.always_fail = True
    with django_capture_on_commit_callbacks(execute=True):
        events_emit(events=[("feedback.created", None, {"id": f"fb-{n}"}) for n in range(3)])
    with django_capture_on_commit_callbacks(execute=True):  # the email goes once the change commits
        deliver_like_the_worker(sent)

    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_at is not None
    assert len(receiver.requests) == 5  # nothing more is sent once disabled
    assert all(d.state == DeliveryState.FAILED for d in WebhookDelivery.objects.all())
    (email,) = mail.outbox
    assert sorted(email.to) == sorted([owner.email, admin.email])
    assert "disabled" in email.subject and receiver.url in email.body


def test_a_delivery_gives_up_after_the_maximum_attempts(
    agency, receiver, sent, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_MAX_ATTEMPTS = 3
    endpoint_create(actor=None, url=receiver.url, events=["sync.failed"])
    receiver.always_fail = True
    with django_capture_on_commit_callbacks(execute=True):
        events_emit(events=[("sync.failed", None, {"sync_run": 1})])

    deliver_like_the_worker(sent)

    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.state == DeliveryState.FAILED and delivery.attempts == 3 and delivery.response_code == 500
    assert WebhookEndpoint.objects.get().is_active  # 3 failures are below the disabling threshold


def test_the_task_retries_until_delivered(agency, receiver, sent, django_capture_on_commit_callbacks):
    endpoint_create(actor=None, url=receiver.url, events=["sync.failed"])
    receiver.fail_first = 2
    with django_capture_on_commit_callbacks(execute=True):
        events_emit(events=[("sync.failed", None, {"sync_run": 1})])

    tasks.webhook_deliver.apply(args=[sent[0]])  # eagerly, retries included

    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.state == DeliveryState.SUCCEEDED and delivery.attempts == 3
    assert [status for status, *_ in receiver.requests] == [500, 500, 200]
    assert tasks.webhook_deliver.retry_backoff and tasks.webhook_deliver.retry_jitter

"""The inbound point-of-sale URL of a location: secret or signature, idempotent by order id."""

import hashlib
import hmac
import json
import logging

import pytest
from django.db import connection

from clients.integrations import services, tasks
from clients.integrations.models import PosOrder, PosOrderState
from clients.pulseback import PulseBackError
from tests.conftest import host_client

ORDER = {
    "order_id": "toast-1001",
    "customer_name": "Jane Smith",
    "customer_email": "jane@email.test",
    "customer_phone": "555-1234",
    "restaurant_guid": "ignored-extra-field",
}


@pytest.fixture
def queued(monkeypatch):
    ids = []
    monkeypatch.setattr(tasks.pos_order_submit, "delay", lambda pk: ids.append(pk))
    return ids


@pytest.fixture
def trigger(sandbox, sandbox_account, make_location):
    email = sandbox_account(items=5)
    location = make_location(email)
    trigger, secret = services.pos_trigger_setup(actor=None, location=location, starting_rating=4)
    return trigger, secret, email


def pos_post(agency, trigger, body, **headers):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return host_client(agency).post(
        f"/hooks/pos/{trigger.key}/", raw, content_type="application/json", **headers
    )


def test_an_order_creates_feedback_in_pulseback_once(
    agency, trigger, sandbox, queued, django_capture_on_commit_callbacks
):
    trigger, secret, email = trigger
    with django_capture_on_commit_callbacks(execute=True):
        first = pos_post(agency, trigger, ORDER, HTTP_X_POS_SECRET=secret)
        again = pos_post(agency, trigger, ORDER, HTTP_X_POS_SECRET=secret)  # the POS retried

    assert first.status_code == 202 and first.json()["duplicate"] is False
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert queued == [first.json()["id"]]  # one creation queued, not two
    (order,) = PosOrder.objects.all()
    assert (order.rating, order.customer_email, order.channel) == (4, "jane@email.test", "pos")

    before = len(sandbox.ground_truth(email))
    services.pos_order_send(order_pk=order.pk)
    services.pos_order_send(order_pk=order.pk)  # a redelivered task does nothing

    order.refresh_from_db()
    assert order.state == PosOrderState.CREATED and order.pulseback_id
    items = sandbox.ground_truth(email)
    assert len(items) == before + 1
    created = next(i for i in items if i["id"] == order.pulseback_id)
    assert created["rating"] == 4 and created["customer_name"] == "Jane Smith"
    assert created["source"] == "pos_integration"


def test_a_signed_body_is_accepted(agency, trigger, queued):
    trigger, secret, _email = trigger
    raw = json.dumps({"order_id": 42, "customer": {"name": "Sam", "email": "sam@x.test"}}).encode()
    signature = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()

    response = pos_post(agency, trigger, raw, HTTP_X_POS_SIGNATURE=f"sha256={signature}")

    assert response.status_code == 202
    order = PosOrder.objects.get()
    assert order.order_id == "42" and order.customer_name == "Sam"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_X_POS_SECRET": "possec_wrong"},
        {"HTTP_AUTHORIZATION": "Bearer possec_wrong"},
        {"HTTP_X_POS_SIGNATURE": "sha256=" + "0" * 64},
    ],
)
def test_a_bad_secret_or_signature_is_refused_and_logged_without_personal_data(
    agency, trigger, headers, caplog
):
    trigger, _secret, _email = trigger

    with caplog.at_level(logging.WARNING):
        response = pos_post(agency, trigger, ORDER, **headers)

    assert response.status_code == 401
    assert not PosOrder.objects.exists()
    assert "refused" in caplog.text
    assert "jane" not in caplog.text.lower() and "555-1234" not in caplog.text


def test_a_rotated_secret_replaces_the_old_one(agency, trigger, queued):
    trigger, old, _email = trigger
    _trigger, new = services.pos_trigger_setup(actor=None, location=trigger.location, rotate_secret=True)

    assert pos_post(agency, trigger, ORDER, HTTP_X_POS_SECRET=old).status_code == 401
    assert pos_post(agency, trigger, ORDER, HTTP_AUTHORIZATION=f"Bearer {new}").status_code == 202


def test_an_oversized_body_is_refused_without_logging_it(agency, trigger, settings, caplog):
    trigger, secret, _email = trigger
    settings.POS_MAX_BODY_BYTES = 200
    body = {**ORDER, "note": "x" * 500}

    with caplog.at_level(logging.WARNING):
        response = pos_post(agency, trigger, body, HTTP_X_POS_SECRET=secret)

    assert response.status_code == 413
    assert "jane" not in caplog.text.lower()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{oops", "body"),
        (b"[1]", "body"),
        ({"customer_name": "No order"}, "order_id"),
        ({"order_id": "1", "customer_email": "not-an-email"}, "customer_email"),
        ({"order_id": {"x": 1}}, "order_id"),
        ({"order_id": "1", "customer_name": 12}, "customer_name"),
    ],
)
def test_bad_input_is_400_naming_the_field(agency, trigger, body, field):
    trigger, secret, _email = trigger

    response = pos_post(agency, trigger, body, HTTP_X_POS_SECRET=secret)

    assert response.status_code == 400 and field in response.json()["fields"]


def test_unknown_or_disabled_triggers_are_404_and_other_methods_405(agency, other_agency, trigger):
    trigger, secret, _email = trigger

    assert host_client(agency).get(f"/hooks/pos/{trigger.key}/").status_code == 405
    assert pos_post(other_agency, trigger, ORDER, HTTP_X_POS_SECRET=secret).status_code == 404
    connection.set_tenant(agency)
    services.pos_trigger_setup(actor=None, location=trigger.location, is_enabled=False)
    assert pos_post(agency, trigger, ORDER, HTTP_X_POS_SECRET=secret).status_code == 404


def test_pulseback_unreachable_is_retried_not_lost(agency, trigger, sandbox, queued):
    trigger, secret, email = trigger
    pos_post(agency, trigger, ORDER, HTTP_X_POS_SECRET=secret)
    order = PosOrder.objects.get()
    sandbox.set_faults(api_5xx_next=10, api_5xx_status=503)  # not processed: safe to retry

    with pytest.raises(PulseBackError):
        services.pos_order_send(order_pk=order.pk)

    order.refresh_from_db()
    assert order.state == PosOrderState.PENDING and order.attempts == 1
    sandbox.clear_faults()
    services.pos_order_send(order_pk=order.pk)
    order.refresh_from_db()
    assert order.state == PosOrderState.CREATED


def test_an_answer_that_may_have_created_it_is_not_repeated(agency, trigger, sandbox, queued):
    trigger, secret, _email = trigger
    pos_post(agency, trigger, ORDER, HTTP_X_POS_SECRET=secret)
    order = PosOrder.objects.get()
    sandbox.set_faults(api_5xx_next=1, api_5xx_status=500)

    services.pos_order_send(order_pk=order.pk)

    order.refresh_from_db()
    assert order.state == PosOrderState.FAILED and "may have been created" in order.error


def test_the_task_retries_while_pulseback_is_unreachable(agency, trigger, sandbox, queued):
    trigger, secret, _email = trigger
    pos_post(agency, trigger, ORDER, HTTP_X_POS_SECRET=secret)
    # The PulseBack client tries each call three times: two calls fail, the third attempt succeeds.
    sandbox.set_faults(api_5xx_next=6, api_5xx_status=503)

    tasks.pos_order_submit.apply(args=[PosOrder.objects.get().pk])  # eagerly, retries included

    order = PosOrder.objects.get()
    assert order.state == PosOrderState.CREATED and order.attempts == 3

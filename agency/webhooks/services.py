"""Outbound webhooks: endpoints, events and their deliveries.

Generic: it knows event names, endpoints and JSON payloads, not what the events are about.
"""

import json
import logging
import secrets
import time
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from agency import events
from agency.emails import email_send
from agency.team.audit import audit_record
from agency.team.models import MANAGER_ROLES, User
from agency.webhooks import signing, transport
from agency.webhooks.models import DeliveryState, Event, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------ endpoints
def _endpoint_check(*, url, events):
    try:
        url = transport.url_check(url)
    except transport.TargetRefused as exc:
        raise ValidationError({"url": str(exc)}) from None
    events = list(dict.fromkeys(events or []))
    if not events:
        raise ValidationError({"events": "Choose at least one event."})
    unknown = [event for event in events if event not in Event.values]
    if unknown:
        raise ValidationError({"events": f"Unknown events: {', '.join(unknown)}."})
    return url, events


@transaction.atomic
def endpoint_create(*, actor, url, events, client=None, description=""):
    """Subscribe ``url`` to ``events`` (of every client, or of ``client`` only); returns
    ``(endpoint, secret)``, the secret shown once."""
    url, events = _endpoint_check(url=url, events=events)
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint.objects.create(
        url=url, events=events, client=client, description=description, secret=secret, created_by=actor
    )
    audit_record(actor=actor, action="webhook.created", target=endpoint.url, events=events)
    logger.info("webhook endpoint %s created", endpoint.pk)
    return endpoint, secret


@transaction.atomic
def endpoint_update(*, actor, endpoint, **changes):
    if "url" in changes or "events" in changes:
        changes["url"], changes["events"] = _endpoint_check(
            url=changes.get("url", endpoint.url), events=changes.get("events", endpoint.events)
        )
    if changes.get("is_active") and not endpoint.is_active:
        changes.update(consecutive_failures=0, disabled_at=None, disabled_reason="")
    for field, value in changes.items():
        setattr(endpoint, field, value)
    endpoint.save()
    audit_record(actor=actor, action="webhook.updated", target=endpoint.url, fields=sorted(changes))
    return endpoint


@transaction.atomic
def endpoint_delete(*, actor, endpoint):
    audit_record(actor=actor, action="webhook.removed", target=endpoint.url)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


def endpoint_disable(*, endpoint_id, reason):
    """Disable a failing endpoint and tell the agency's owners and admins (once)."""
    disabled = WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True).update(
        is_active=False, disabled_at=timezone.now(), disabled_reason=reason
    )
    if not disabled:
        return
    WebhookDelivery.objects.filter(endpoint_id=endpoint_id, state=DeliveryState.PENDING).update(
        state=DeliveryState.FAILED, error="the endpoint was disabled"
    )
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    logger.warning("webhook endpoint %s disabled: %s", endpoint_id, reason)
    recipients = list(
        User.objects.filter(is_active=True, role__in=MANAGER_ROLES).values_list("email", flat=True)
    )
    agency = getattr(connection, "tenant", None)
    if recipients:
        transaction.on_commit(
            lambda: email_send(
                template="webhook-disabled",
                to=recipients,
                context={"endpoint": endpoint, "reason": reason},
                agency=agency if getattr(agency, "schema_name", "public") != "public" else None,
            )
        )


# --------------------------------------------------------------------- events
def _payload(event, data, event_id):
    return {
        "id": str(event_id),
        "type": event,
        "created_at": timezone.now().isoformat(),
        "data": data,
    }


def _subscribers(event, client_id):
    return WebhookEndpoint.objects.filter(is_active=True, events__contains=[event]).filter(
        Q(client__isnull=True) | Q(client_id=client_id)
    )


def events_emit(*, events):
    """Record deliveries of ``events`` (``(type, client_id, data)`` triples) to every subscribed
    endpoint and queue them once the transaction commits. Returns the deliveries."""
    from agency.webhooks.tasks import webhook_deliver

    endpoints = list(WebhookEndpoint.objects.filter(is_active=True))
    if not endpoints:
        return []
    deliveries = []
    for event, client_id, data in events:
        event_id = uuid.uuid4()
        payload = json.loads(json.dumps(_payload(event, data, event_id), cls=DjangoJSONEncoder))
        for endpoint in endpoints:
            if event in endpoint.events and endpoint.client_id in (None, client_id):
                deliveries.append(
                    WebhookDelivery(endpoint=endpoint, event_id=event_id, event=event, payload=payload)
                )
    deliveries = WebhookDelivery.objects.bulk_create(deliveries)
    ids = [delivery.pk for delivery in deliveries]
    if ids:
        transaction.on_commit(lambda: [webhook_deliver.delay(pk) for pk in ids])
    return deliveries


# ----------------------------------------------------------------- deliveries
class DeliveryRetry(Exception):
    """The attempt failed and the delivery has attempts left: the task retries it later."""


def delivery_attempt(*, delivery_id):
    """Send one delivery once. Returns when done (delivered, failed for good, or moot); raises
    DeliveryRetry when it should be tried again."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.state != DeliveryState.PENDING:
        return
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        delivery.state, delivery.error = DeliveryState.FAILED, "the endpoint is disabled"
        delivery.save(update_fields=["state", "error"])
        return
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "pulseback-portal-webhooks/1",
        "X-Portal-Event": delivery.event,
        "X-Portal-Event-Id": str(delivery.event_id),
        "X-Portal-Signature": signing.signature_header(
            secret=endpoint.secret.reveal(), timestamp=timestamp, body=body
        ),
    }
    outcome = transport.post(url=endpoint.url, body=body, headers=headers)
    events.webhook_attempted.send(
        sender=WebhookDelivery, delivery=delivery, ok=outcome.ok, status_code=outcome.status_code
    )
    delivery.attempts += 1
    delivery.last_attempt_at = timezone.now()
    delivery.response_code, delivery.duration_ms, delivery.error = (
        outcome.status_code,
        outcome.duration_ms,
        outcome.error[:500],
    )
    if outcome.ok:
        delivery.state, delivery.delivered_at = DeliveryState.SUCCEEDED, delivery.last_attempt_at
        delivery.save()
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
        return
    if not delivery.error:
        delivery.error = f"HTTP {outcome.status_code}"
    done = delivery.attempts >= settings.WEBHOOKS_MAX_ATTEMPTS
    if done:
        delivery.state = DeliveryState.FAILED
    delivery.save()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    failures = WebhookEndpoint.objects.values_list("consecutive_failures", flat=True).get(pk=endpoint.pk)
    if failures >= settings.WEBHOOKS_DISABLE_AFTER_FAILURES:
        endpoint_disable(
            endpoint_id=endpoint.pk,
            reason=f"{failures} failed delivery attempts in a row (last: {delivery.error})",
        )
        return
    if not done:
        raise DeliveryRetry(delivery.error)

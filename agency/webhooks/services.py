"""Writes for webhooks: endpoints, events and their deliveries, and the point-of-sale trigger."""

import json
import logging
import secrets
import time
import uuid
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from agency.api import pulseback
from agency.emails import email_send
from agency.team.models import MANAGER_ROLES, User
from agency.webhooks import signing, transport
from agency.webhooks.models import (
    DeliveryState,
    Event,
    PosOrder,
    PosOrderState,
    PosTrigger,
    WebhookDelivery,
    WebhookEndpoint,
)
from clients.models import Feedback, FeedbackStatusChange, Location, SyncKind
from clients.pulseback import PulseBackError, RateLimited, Rejected

logger = logging.getLogger(__name__)

NEGATIVE_MAX_RATING = 2


def _new_secret(prefix):
    return prefix + secrets.token_urlsafe(32)


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


def endpoint_create(*, url, events, client=None, description="", created_by=None):
    """Subscribe ``url`` to ``events``; returns ``(endpoint, secret)``, the secret shown once."""
    url, events = _endpoint_check(url=url, events=events)
    secret = _new_secret("whsec_")
    endpoint = WebhookEndpoint.objects.create(
        url=url, events=events, client=client, description=description, secret=secret, created_by=created_by
    )
    logger.info("webhook endpoint %s created", endpoint.pk)
    return endpoint, secret


def endpoint_update(*, endpoint, **changes):
    if "url" in changes or "events" in changes:
        changes["url"], changes["events"] = _endpoint_check(
            url=changes.get("url", endpoint.url), events=changes.get("events", endpoint.events)
        )
    if changes.get("is_active") and not endpoint.is_active:
        changes.update(consecutive_failures=0, disabled_at=None, disabled_reason="")
    for field, value in changes.items():
        setattr(endpoint, field, value)
    endpoint.save()
    return endpoint


def endpoint_delete(*, endpoint):
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


def feedback_data(item):
    return {
        "id": item.pulseback_id,
        "created_at": item.created_at,
        "customer_name": item.customer_name,
        "customer_email": item.customer_email,
        "rating": item.rating,
        "comment": item.comment,
        "sentiment": item.sentiment,
        "sentiment_score": item.sentiment_score,
        "themes": item.themes,
        "status": item.status,
        "source": item.source,
        "client": item.client_id,
        "location": item.location_id,
    }


def sync_batch_written(*, location, run, written_at, result):
    """Called by the sync after each batch (inside its transaction): queue ONE task for the
    batch's events, only when it created or changed something and an endpoint listens."""
    from agency.webhooks.tasks import webhook_sync_batch

    if location.connected_at is None or not (result.created or result.status_changes):
        return
    if not WebhookEndpoint.objects.filter(is_active=True).exists():
        return
    stamp = written_at.isoformat()
    transaction.on_commit(lambda: webhook_sync_batch.delay(location.pk, run.kind, stamp))


def sync_batch_events(*, location_id, kind, written_at):
    """The events of one written batch: feedback created in it (new since the location was
    connected, never for a backfill) and status changes recorded in it."""
    if isinstance(written_at, str):
        written_at = datetime.fromisoformat(written_at)
    location = Location.objects.filter(pk=location_id).first()
    if location is None or location.connected_at is None:
        return []
    events = []
    if kind != SyncKind.BACKFILL:
        created = Feedback.objects.filter(
            location_id=location_id, first_seen_at=written_at, created_at__gte=location.connected_at
        ).order_by("created_at", "id")
        for item in created:
            data = feedback_data(item)
            events.append((Event.FEEDBACK_CREATED, item.client_id, data))
            if item.rating <= NEGATIVE_MAX_RATING or item.sentiment == "negative":
                events.append((Event.FEEDBACK_NEGATIVE, item.client_id, data))
    changes = FeedbackStatusChange.objects.filter(
        feedback__location_id=location_id, seen_at=written_at
    ).select_related("feedback")
    for change in changes:
        data = {
            **feedback_data(change.feedback),
            "old_status": change.old_status,
            "new_status": change.new_status,
        }
        events.append((Event.FEEDBACK_STATUS_CHANGED, change.feedback.client_id, data))
    return events_emit(events=events) if events else []


def sync_failed_emit(*, run, location, message):
    """Called by the sync when a run fails."""
    data = {
        "sync_run": run.pk,
        "kind": run.kind,
        "client": location.client_id,
        "location": location.pk,
        "error": message,
    }
    return events_emit(events=[(Event.SYNC_FAILED, location.client_id, data)])


# ----------------------------------------------------------------- deliveries
def delivery_attempt(*, delivery_id):
    """Send one delivery once. Returns True when done (delivered, failed for good, or moot)."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.state != DeliveryState.PENDING:
        return True
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        delivery.state, delivery.error = DeliveryState.FAILED, "the endpoint is disabled"
        delivery.save(update_fields=["state", "error"])
        return True
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
        return True
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
        return True
    return done


def delivery_backoff(*, attempt):
    """Seconds before retry ``attempt`` (1-based): exponential, capped at six hours, with jitter."""
    base = settings.WEBHOOKS_BACKOFF_SECONDS * 2 ** (attempt - 1)
    return min(6 * 3600, base) * (0.75 + secrets.randbelow(500) / 1000)


# ------------------------------------------------------------- point of sale
def pos_trigger_setup(*, location, starting_rating=None, rotate_secret=False, is_enabled=None):
    """Create (or change) a location's trigger. Returns ``(trigger, secret)``; ``secret`` is
    the new secret when the trigger was created or its secret rotated (shown once), else None."""
    if starting_rating is not None and not 1 <= starting_rating <= 5:
        raise ValidationError({"starting_rating": "Choose a rating from 1 to 5."})
    secret = None
    trigger = PosTrigger.objects.filter(location=location).first()
    if trigger is None:
        secret = _new_secret("possec_")
        trigger = PosTrigger(location=location, secret=secret)
    elif rotate_secret:
        secret = _new_secret("possec_")
        trigger.secret, trigger.rotated_at = secret, timezone.now()
    if starting_rating is not None:
        trigger.starting_rating = starting_rating
    if is_enabled is not None:
        trigger.is_enabled = is_enabled
    trigger.save()
    return trigger, secret


def _clean_text(value, field, max_length=300):
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool) and field == "customer_phone":
        value = str(value)
    if not isinstance(value, str):
        raise ValidationError({field: "Must be text."})
    value = value.strip()
    if len(value) > max_length or "\x00" in value:
        raise ValidationError({field: f"At most {max_length} characters of text."})
    return value


def pos_order_receive(
    *,
    location,
    order_id,
    customer_name=None,
    customer_email=None,
    customer_phone=None,
    comment=None,
    rating=None,
    channel="pos",
):
    """Record a feedback request for an order, once per (location, order id), and queue its
    creation in PulseBack. Returns ``(order, created)``; a repeated order id returns the first."""
    from agency.webhooks.tasks import pos_order_submit

    if isinstance(order_id, int) and not isinstance(order_id, bool):
        order_id = str(order_id)
    order_id = _clean_text(order_id, "order_id", 200)
    if not order_id:
        raise ValidationError({"order_id": "The order id is required."})
    values = {
        "customer_name": _clean_text(customer_name, "customer_name", 200),
        "customer_email": _clean_text(customer_email, "customer_email", 320).lower(),
        "customer_phone": _clean_text(customer_phone, "customer_phone", 50),
        "comment": _clean_text(comment, "comment", 5000),
    }
    if values["customer_email"]:
        try:
            validate_email(values["customer_email"])
        except ValidationError:
            raise ValidationError({"customer_email": "Enter a valid email address."}) from None
    if rating is None:
        trigger = PosTrigger.objects.filter(location=location).first()
        rating = trigger.starting_rating if trigger else 5
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError({"rating": "Must be an integer from 1 to 5."})
    order, created = PosOrder.objects.get_or_create(
        location=location, order_id=order_id, defaults={**values, "rating": rating, "channel": channel}
    )
    if created:
        transaction.on_commit(lambda: pos_order_submit.delay(order.pk))
    return order, created


def pos_order_send(*, order_pk):
    """Create the order's feedback in PulseBack. Returns None when done, else seconds to wait
    before retrying. A request that may have reached PulseBack is never repeated (no duplicate)."""
    # Claimed by one worker at a time: a second task for the same order finds it SENDING.
    claimed = PosOrder.objects.filter(pk=order_pk, state=PosOrderState.PENDING).update(
        state=PosOrderState.SENDING, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    order = PosOrder.objects.select_related("location").get(pk=order_pk)
    try:
        item = pulseback.feedback_create(
            location=order.location,
            rating=order.rating,
            customer_name=order.customer_name,
            customer_email=order.customer_email,
            customer_phone=order.customer_phone,
            comment=order.comment,
        )
    except Rejected as exc:
        return _pos_order_failed(order, f"PulseBack refused it: {exc}")
    except PulseBackError as exc:
        if getattr(exc, "maybe_processed", False):
            return _pos_order_failed(order, f"{exc} (it may have been created; not repeated)")
        if order.attempts >= settings.POS_MAX_ATTEMPTS:
            return _pos_order_failed(order, f"gave up after {order.attempts} attempts: {exc}")
        PosOrder.objects.filter(pk=order.pk).update(state=PosOrderState.PENDING, error=str(exc)[:500])
        wait = settings.POS_BACKOFF_SECONDS * 2 ** (order.attempts - 1)
        if isinstance(exc, RateLimited) and exc.retry_after:
            wait = max(wait, exc.retry_after)
        return wait
    except ValueError as exc:  # the location's PulseBack addresses are not acceptable
        return _pos_order_failed(order, str(exc))
    except Exception:
        PosOrder.objects.filter(pk=order.pk).update(state=PosOrderState.PENDING)
        raise
    pulseback_id = item.get("id") if isinstance(item.get("id"), str) else ""
    PosOrder.objects.filter(pk=order.pk).update(
        state=PosOrderState.CREATED, pulseback_id=pulseback_id[:64], sent_at=timezone.now(), error=""
    )
    logger.info("POS order %s of location %s created in PulseBack", order.pk, order.location_id)
    return None


def _pos_order_failed(order, message):
    logger.warning("POS order %s of location %s failed: %s", order.pk, order.location_id, message)
    PosOrder.objects.filter(pk=order.pk).update(state=PosOrderState.FAILED, error=message[:500])
    return None

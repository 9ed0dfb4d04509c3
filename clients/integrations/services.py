"""Point-of-sale triggers and feedback requests: an order becomes a PulseBack feedback request."""

import logging
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from agency.team.audit import audit_record
from clients.integrations.models import PosOrder, PosOrderState, PosTrigger
from clients.onboarding import pulseback_feedback_create
from clients.pulseback import PulseBackError, Rejected

logger = logging.getLogger(__name__)


def _new_secret():
    return "possec_" + secrets.token_urlsafe(32)


@transaction.atomic
def pos_trigger_setup(*, actor, location, starting_rating=None, rotate_secret=False, is_enabled=None):
    """Create (or change) a location's trigger. Returns ``(trigger, secret)``; ``secret`` is
    the new secret when the trigger was created or its secret rotated (shown once), else None."""
    if starting_rating is not None and not 1 <= starting_rating <= 5:
        raise ValidationError({"starting_rating": "Choose a rating from 1 to 5."})
    secret = None
    trigger = PosTrigger.objects.filter(location=location).first()
    if trigger is None:
        secret = _new_secret()
        trigger = PosTrigger(location=location, secret=secret)
    elif rotate_secret:
        secret = _new_secret()
        trigger.secret, trigger.rotated_at = secret, timezone.now()
    if starting_rating is not None:
        trigger.starting_rating = starting_rating
    if is_enabled is not None:
        trigger.is_enabled = is_enabled
    trigger.save()
    audit_record(
        actor=actor, action="pos_trigger.changed", target=location, secret_rotated=secret is not None
    )
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
    from clients.integrations.tasks import pos_order_submit

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
    """Create the order's feedback in PulseBack. Returns when done (created, or failed for good);
    re-raises PulseBack's error when it is worth retrying (the order is pending again). A request
    that may have reached PulseBack is never repeated (no duplicate)."""
    # Claimed by one worker at a time: a second task for the same order finds it SENDING.
    claimed = PosOrder.objects.filter(pk=order_pk, state=PosOrderState.PENDING).update(
        state=PosOrderState.SENDING, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    order = PosOrder.objects.select_related("location").get(pk=order_pk)
    try:
        item = pulseback_feedback_create(
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
        raise
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

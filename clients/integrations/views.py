"""The inbound point-of-sale URL: ``POST /hooks/pos/<key>/`` with the location's secret.

Send the secret as ``X-POS-Secret: <secret>`` (or ``Authorization: Bearer <secret>``),
or sign the body: ``X-POS-Signature: sha256=<hex HMAC-SHA256(secret, body)>``.
Body (JSON): ``order_id`` (required), ``customer_name``, ``customer_email``,
``customer_phone`` (or the same three under ``customer`` as ``name``, ``email``,
``phone``); other fields are ignored. A repeated ``order_id`` creates nothing new.

Refusals are logged with the trigger's key and the caller's address only, never the body.
"""

import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from clients.integrations import selectors, services

logger = logging.getLogger(__name__)


def _refuse(request, key, status, message, why):
    logger.warning("POS trigger %s refused a request from %s: %s", key, request.META.get("REMOTE_ADDR"), why)
    return JsonResponse({"message": message}, status=status)


def _authenticated(request, trigger, body):
    secret = request.headers.get("X-POS-Secret")
    auth = request.headers.get("Authorization", "")
    if not secret and auth.lower().startswith("bearer "):
        secret = auth[7:].strip()
    if secret:
        return selectors.pos_secret_matches(trigger=trigger, presented=secret)
    signature = request.headers.get("X-POS-Signature", "")
    if signature.startswith("sha256="):
        expected = hmac.new(trigger.secret.reveal().encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, signature[7:].strip().lower())
    return False


@csrf_exempt
@require_POST
def pos_trigger(request, key):
    limit = settings.POS_MAX_BODY_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return _refuse(request, key, 413, f"The body is larger than {limit} bytes.", "body too large")
    body = request.read(limit + 1)
    if len(body) > limit:
        return _refuse(request, key, 413, f"The body is larger than {limit} bytes.", "body too large")
    trigger = selectors.pos_trigger_by_key(key=key)
    if trigger is None:
        return _refuse(request, key, 404, "Not found.", "unknown or disabled trigger")
    if not _authenticated(request, trigger, body):
        return _refuse(request, key, 401, "Missing or wrong secret or signature.", "bad secret or signature")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return JsonResponse(
            {"message": "Malformed JSON.", "fields": {"body": ["Malformed JSON."]}}, status=400
        )
    if not isinstance(data, dict):
        return JsonResponse(
            {"message": "Send a JSON object.", "fields": {"body": ["Not an object."]}}, status=400
        )
    customer = data.get("customer") if isinstance(data.get("customer"), dict) else {}
    try:
        order, created = services.pos_order_receive(
            location=trigger.location,
            order_id=data.get("order_id"),
            customer_name=data.get("customer_name", customer.get("name")),
            customer_email=data.get("customer_email", customer.get("email")),
            customer_phone=data.get("customer_phone", customer.get("phone")),
        )
    except ValidationError as exc:
        fields = exc.message_dict
        return JsonResponse({"message": f"Invalid input: {', '.join(fields)}.", "fields": fields}, status=400)
    answer = {"id": order.pk, "order_id": order.order_id, "state": order.state, "duplicate": not created}
    return JsonResponse(answer, status=202 if created else 200)

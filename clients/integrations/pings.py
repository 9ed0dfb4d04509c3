"""A test delivery of a webhook endpoint: one signed ``ping`` event, sent at once, its outcome shown
to the person who asked. Not retried and not counted as a delivery (the log keeps real events)."""

import json
import time
import uuid

from django.utils import timezone

from agency.webhooks import signing, transport


def endpoint_ping(*, endpoint):
    """POST a signed ``ping`` to the endpoint (active or not); a transport Outcome."""
    event_id = uuid.uuid4()
    payload = {
        "id": str(event_id),
        "type": "ping",
        "created_at": timezone.now().isoformat(),
        "data": {"endpoint": endpoint.pk, "message": "A test delivery from the portal."},
    }
    body = json.dumps(payload, separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "pulseback-portal-webhooks/1",
        "X-Portal-Event": "ping",
        "X-Portal-Event-Id": str(event_id),
        "X-Portal-Signature": signing.signature_header(
            secret=endpoint.secret.reveal(), timestamp=timestamp, body=body
        ),
    }
    return transport.post(url=endpoint.url, body=body, headers=headers)

"""Signatures of outbound webhooks, and how a receiver verifies them.

Headers of each delivery:

* ``X-Portal-Event``: the event type, e.g. ``feedback.created``;
* ``X-Portal-Event-Id``: the event's id (the same on every retry: deduplicate on it);
* ``X-Portal-Signature``: ``t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``.

A receiver recomputes the HMAC over the timestamp and the raw body with the
endpoint's secret, compares in constant time, and rejects timestamps older than
a few minutes (replays).
"""

import hashlib
import hmac
import time

TOLERANCE_SECONDS = 300


def signature(*, secret, timestamp, body):
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(*, secret, timestamp, body):
    return f"t={timestamp},v1={signature(secret=secret, timestamp=timestamp, body=body)}"


def signature_verify(*, secret, header, body, now=None, tolerance=TOLERANCE_SECONDS):
    """True when ``header`` signs ``body`` with ``secret`` and is recent (what a receiver does)."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (ValueError, KeyError, AttributeError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret=secret, timestamp=timestamp, body=body)
    return hmac.compare_digest(expected, fields.get("v1", ""))

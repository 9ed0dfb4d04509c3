"""Receivers verify the signature over the timestamp and the raw body, and reject replays."""

import hashlib
import hmac
import time

from agency.webhooks.signing import signature_header, signature_verify


def receiver_verifies(secret, header, body, now=None, tolerance=300):
    """What a receiver (Zapier code step, n8n, a Flask app) does, written from the docs only."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    timestamp = int(parts["t"])
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def test_a_receiver_verifies_the_signature():
    body = b'{"id":"e1","type":"feedback.created"}'
    header = signature_header(secret="whsec_abc", timestamp=int(time.time()), body=body)

    assert receiver_verifies("whsec_abc", header, body)
    assert signature_verify(secret="whsec_abc", header=header, body=body)


def test_a_changed_body_a_wrong_secret_or_an_old_timestamp_is_rejected():
    body = b'{"id":"e1"}'
    now = int(time.time())
    header = signature_header(secret="whsec_abc", timestamp=now, body=body)
    old = signature_header(secret="whsec_abc", timestamp=now - 3600, body=body)

    assert not receiver_verifies("whsec_abc", header, body + b" ")
    assert not receiver_verifies("whsec_other", header, body)
    assert not receiver_verifies("whsec_abc", old, body)
    assert not signature_verify(secret="whsec_abc", header=old, body=body)
    assert not signature_verify(secret="whsec_abc", header="garbage", body=body)

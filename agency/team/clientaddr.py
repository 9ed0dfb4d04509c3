"""The client's address, the one rule behind every per-address limit (lockouts, sign-up, resets,
connect links).

Behind ``TRUSTED_PROXY_COUNT`` proxies, each appending the address it saw to X-Forwarded-For, the
client is the entry our outermost proxy wrote: counted from the right, so whatever the client put
in the header itself is never believed. Without proxies it is the connection's peer.
(django-ipware's left-most default would believe the client's own header; this rule is short enough
to state and test here.)
"""

from django.conf import settings


def client_address(request):
    """The address as text, or None when the request has none (a request made in code)."""
    peer = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    if not proxies:
        return peer
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return peer
    return forwarded[-proxies][:45]

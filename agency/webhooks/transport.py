"""Every outbound webhook request goes through :func:`post` (tests patch this one name).

Server-side request forgery guard (agency.netguard): the target must be an
http(s) URL of a public host. Saving a URL resolves its host and checks every
address; sending checks again at connect time and connects to the address it
checked (the Host header and TLS server name stay the host's), so a second DNS
answer cannot point it elsewhere. WEBHOOKS_ALLOW_LOOPBACK_TARGETS permits
loopback targets only (local development and tests). Redirects are not
followed (a 3xx is a failed delivery), and the response body is never read.
"""

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from agency import netguard


class TargetRefused(netguard.AddressRefused):
    """The URL is not an acceptable webhook target (the message says why; no secrets in it)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    duration_ms: int
    error: str = ""

    @property
    def ok(self):
        return self.status_code is not None and 200 <= self.status_code < 300


def _allow_loopback():
    return settings.WEBHOOKS_ALLOW_LOOPBACK_TARGETS


def target_parse(url):
    """Check a URL's form and literal address (no DNS): http(s), a host, no user info. A :class:`Target`."""
    if not isinstance(url, str) or not url.strip():
        raise TargetRefused("Enter a URL.")
    url = url.strip()
    if any(ord(ch) < 0x21 or ch in "\x7f\\" for ch in url):
        raise TargetRefused("The URL must not contain spaces, control characters or backslashes.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused("This is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise TargetRefused("The URL must start with https:// or http://.")
    if "@" in parts.netloc:
        raise TargetRefused("The URL must not contain a user name or password.")
    if port == 0:
        raise TargetRefused("The URL has an invalid port.")
    try:
        host = netguard.check_host(parts.hostname or "", allow_loopback=_allow_loopback())
    except netguard.AddressRefused as exc:
        raise TargetRefused(str(exc)) from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme, host, port or (443 if scheme == "https" else 80), path)


def target_resolve(target):
    """The target's addresses, each checked; raises TargetRefused if any one is not public."""
    try:
        return netguard.resolve(target.host, target.port, allow_loopback=_allow_loopback())
    except netguard.AddressRefused as exc:
        raise TargetRefused(str(exc)) from None


def url_check(url):
    """Form and resolution checks for a URL about to be saved; returns the URL or raises TargetRefused."""
    target_resolve(target_parse(url))
    return url.strip()


def post(*, url, body, headers, timeout=None):
    """POST ``body`` to ``url`` with the address checks above; never raises for network failures."""
    timeout = settings.WEBHOOKS_TIMEOUT_SECONDS if timeout is None else timeout
    started = time.perf_counter()

    def elapsed():
        return int((time.perf_counter() - started) * 1000)

    try:
        target_parse(url)
    except TargetRefused as exc:
        return Outcome(None, elapsed(), f"refused: {exc}")
    guarded = netguard.transport(allow_loopback=_allow_loopback())
    with httpx.Client(
        transport=guarded,
        follow_redirects=False,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
    ) as http:
        try:
            with http.stream("POST", url.strip(), content=body, headers=headers) as response:
                status = response.status_code  # the body is never read
        except netguard.AddressRefused as exc:
            return Outcome(None, elapsed(), f"refused: {exc}")
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            return Outcome(None, elapsed(), f"could not connect ({type(exc).__name__})")
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return Outcome(None, elapsed(), f"request failed ({type(exc).__name__})")
    if 300 <= status < 400:
        return Outcome(status, elapsed(), "redirects are not followed")
    return Outcome(status, elapsed(), "")

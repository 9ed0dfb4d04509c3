"""Every outbound webhook request goes through :func:`post` (tests patch this one name).

Server-side request forgery guard: the target must be a public http(s)
address. The host is resolved, *every* address it resolves to is checked
(loopback, private, link-local, multicast, reserved and metadata addresses are
refused unless WEBHOOKS_ALLOW_PRIVATE_TARGETS is set), and the request then
connects to a checked address (the Host header and TLS server name stay the
host's), so a second DNS answer cannot point it elsewhere. Redirects are not
followed (a 3xx is a failed delivery), and the response body is never read.
"""

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from clients.pulseback.client import address_is_public

METADATA_HOSTS = frozenset(
    {"metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal"}
)


class TargetRefused(ValueError):
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


def _allow_private():
    return settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS


def target_parse(url):
    """Check a URL's form (no DNS): http(s), a host, no user info. Returns a :class:`Target`."""
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
    host = (parts.hostname or "").rstrip(".").lower()
    if not host or "%" in host:
        raise TargetRefused("The URL has no valid host name.")
    try:
        host = host.encode("idna").decode("ascii") if ":" not in host else host
    except UnicodeError:
        raise TargetRefused("The URL has no valid host name.") from None
    if port == 0:
        raise TargetRefused("The URL has an invalid port.")
    if not _allow_private():
        if host == "localhost" or host.endswith(".localhost") or host in METADATA_HOSTS:
            raise TargetRefused("The URL must be a public address (not loopback or a metadata service).")
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None and not address_is_public(literal):
            raise TargetRefused("The URL must be a public address (not private, loopback or link-local).")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme, host, port or (443 if scheme == "https" else 80), path)


def target_resolve(target):
    """The target's addresses, each checked; raises TargetRefused if any one is not public."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise TargetRefused(f"The host {target.host} could not be resolved.") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise TargetRefused(f"The host {target.host} could not be resolved.")
    if not _allow_private():
        for address in addresses:
            if not address_is_public(address.split("%")[0]):
                raise TargetRefused(f"The host {target.host} resolves to a non-public address.")
    return addresses


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
        target = target_parse(url)
        addresses = target_resolve(target)
    except TargetRefused as exc:
        return Outcome(None, elapsed(), f"refused: {exc}")
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    if ":" in target.host and target.port == default_port:
        host_header = f"[{target.host}]"
    elif ":" in target.host:
        host_header = f"[{target.host}]:{target.port}"
    error = ""
    with httpx.Client(
        follow_redirects=False, timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0))
    ) as http:
        for address in addresses:
            literal = f"[{address}]" if ":" in address else address
            request = http.build_request(
                "POST",
                f"{target.scheme}://{literal}:{target.port}{target.path}",
                content=body,
                headers={**headers, "Host": host_header},
                extensions={"sni_hostname": target.host} if target.scheme == "https" else {},
            )
            try:
                response = http.send(request, stream=True)
                response.close()  # the body is never read
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                error = f"could not connect ({type(exc).__name__})"
                continue
            except httpx.HTTPError as exc:
                return Outcome(None, elapsed(), f"request failed ({type(exc).__name__})")
            if 300 <= response.status_code < 400:
                return Outcome(response.status_code, elapsed(), "redirects are not followed")
            return Outcome(response.status_code, elapsed(), "")
    return Outcome(None, elapsed(), error or "could not connect")

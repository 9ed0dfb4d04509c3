"""Outbound network guard: the one place where outbound addresses are checked.

Every URL the portal fetches on someone else's say (PulseBack and Supabase
addresses per location, webhook targets) goes through here, so a tenant cannot
make the server reach loopback, private networks, link-local or cloud metadata
services (server-side request forgery).

* :func:`check_url` / :func:`check_host`: form and literal-address checks, no DNS.
* :func:`resolve` / :func:`check_url_resolves`: the same plus a DNS lookup, every
  address checked, so a form can refuse a host name that points inside.
* :func:`transport`: an httpx transport that resolves and checks at connect time
  and connects to the very address it checked (no second lookup, so no DNS
  rebinding window), while TLS still verifies the host name.

We keep our own because no well-kept library does connect-time address pinning
for httpx; the pieces are small and tested in tests/agency/test_netguard.py.
Pure Python (httpx/httpcore), no Django.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpcore
import httpx

__all__ = [
    "AddressRefused",
    "UnresolvableHost",
    "check_host",
    "check_url",
    "check_url_resolves",
    "refusal_reason",
    "resolve",
    "transport",
]

_IP = ipaddress.IPv4Address | ipaddress.IPv6Address

_LOOSE_IPV4 = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}")
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_METADATA_HOSTS = frozenset(
    {"metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal"}
)
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean
        "169.254.169.253",  # AWS DNS
        "169.254.169.123",  # AWS time
        "169.254.170.2",  # AWS ECS task metadata
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::253",
        "fd00:ec2::123",
        "fd20:ce::254",  # GCP over IPv6
    )
)
# Not public although Python's ipaddress calls them global.
_NOT_PUBLIC = (
    ipaddress.ip_network("192.0.0.0/24"),
    ipaddress.ip_network("64:ff9b:1::/48"),
    ipaddress.ip_network("fec0::/10"),
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_ONLY_PUBLIC = "only public internet addresses can be used"


class AddressRefused(ValueError):
    """A URL, host or address the portal must not connect to; the message says why and what to do."""


class UnresolvableHost(AddressRefused):
    """The host name has no address (DNS failed or answered nothing)."""


# ------------------------------------------------------------------ addresses
def _literal_ip(host: str) -> _IP | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LOOSE_IPV4.fullmatch(host):  # 127.1, 0x7f.0.0.1, 2130706433: what inet_aton accepts
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            raise AddressRefused(f"The host {host!r} is not a valid address.") from None
    return None


def _effective_ip(ip: _IP) -> _IP:
    """The IPv4 address an IPv6 address embeds (mapped, NAT64, 6to4), else ``ip``."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if ip.sixtofour is not None:
            return ip.sixtofour
    return ip


def refusal_reason(ip: _IP | str, *, allow_loopback: bool = False) -> str | None:
    """Why ``ip`` must not be connected to (e.g. "a private network address"), or None if it may."""
    raw = ipaddress.ip_address(ip.split("%")[0]) if isinstance(ip, str) else ip
    eff = _effective_ip(raw)
    if raw in _METADATA_ADDRESSES or eff in _METADATA_ADDRESSES:
        return "a cloud metadata service address"
    if eff.is_loopback:
        return None if allow_loopback else "a loopback address (this server itself)"
    if eff.is_unspecified:
        return "an unspecified address"
    if eff.is_link_local:
        return "a link-local address"
    if eff.is_multicast:
        return "a multicast address"
    if eff.is_reserved:
        return "a reserved address"
    if eff.is_private or getattr(eff, "is_site_local", False):
        return "a private network address"
    if not eff.is_global or any(eff.version == net.version and eff in net for net in _NOT_PUBLIC):
        return "not a public internet address"
    return None


def _is_loopback_name(host: str) -> bool:
    return host in _LOOPBACK_NAMES or host.endswith(".localhost")


def _parse_host(raw: str) -> tuple[str, _IP | None]:
    """(normalised host, literal address or None); refuses malformed hosts."""
    host = raw.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    host = host.rstrip(".")
    if not host:
        raise AddressRefused("The URL has no host name.")
    if "%" in host:
        raise AddressRefused("The host must not contain escapes or an IPv6 zone.")
    ip = _literal_ip(host)
    if ip is not None:
        return ip.compressed, ip
    if ":" in host:
        raise AddressRefused(f"The host {host!r} is not a valid IPv6 address.")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise AddressRefused(f"The host {host!r} is not a valid host name.") from None
    if not all(_LABEL.fullmatch(label) for label in host.split(".")):
        raise AddressRefused(f"The host {host!r} is not a valid host name.")
    return host, None


def _check_parsed(host: str, ip: _IP | None, *, allow_loopback: bool) -> None:
    if ip is not None:
        reason = refusal_reason(ip, allow_loopback=allow_loopback)
        if reason:
            raise AddressRefused(f"The address {host} is {reason}; {_ONLY_PUBLIC}.")
    elif host in _METADATA_HOSTS:
        raise AddressRefused(f"The host {host} is a cloud metadata service; {_ONLY_PUBLIC}.")
    elif _is_loopback_name(host) and not allow_loopback:
        raise AddressRefused(f"The host {host} names this server itself (loopback); {_ONLY_PUBLIC}.")


def check_host(host: str, *, allow_loopback: bool) -> str:
    """The normalised host (lower case, IDNA, canonical address), or AddressRefused. No DNS.

    Refuses malformed hosts, non-public literal addresses, ``localhost`` and
    ``*.localhost`` (unless ``allow_loopback``) and metadata host names.
    """
    name, ip = _parse_host(host)
    _check_parsed(name, ip, allow_loopback=allow_loopback)
    return name


def resolve(host: str, port: int, *, allow_loopback: bool) -> list[str]:
    """Every address ``host`` resolves to, each checked, or AddressRefused naming the host and why.

    ``allow_loopback`` permits loopback addresses (and names) only: never
    private, link-local or metadata ones. DNS failures raise UnresolvableHost.
    """
    name, ip = _parse_host(host)
    _check_parsed(name, ip, allow_loopback=allow_loopback)
    if ip is not None:
        return [name]
    try:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnresolvableHost(f"The host {name} could not be resolved; check its spelling.") from None
    addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    if not addresses:
        raise UnresolvableHost(f"The host {name} could not be resolved; check its spelling.")
    for address in addresses:
        reason = refusal_reason(address, allow_loopback=allow_loopback)
        if reason:
            raise AddressRefused(f"The host {name} resolves to {address}, {reason}; {_ONLY_PUBLIC}.")
    return addresses


# ----------------------------------------------------------------------- URLs
def check_url(url: str, *, allow_loopback_http: bool) -> str:
    """Validate and normalise a service base URL, or raise AddressRefused. No DNS.

    https with a host is required. Plain http (and https to a loopback
    address) is accepted only with ``allow_loopback_http`` and a loopback host
    (127.0.0.0/8, ::1, ``localhost``): the local sandbox. Refused: user info,
    query, fragment, non-public literal addresses, metadata host names.
    Returns e.g. ``https://api.example.com/api`` (lower-case scheme and host,
    default port and trailing slash dropped).
    """
    if not isinstance(url, str):
        raise AddressRefused("The URL must be text.")
    url = url.strip()
    if not url:
        raise AddressRefused("The URL is empty.")
    if any(ord(ch) < 0x21 or ch in "\x7f\\" for ch in url):
        raise AddressRefused("The URL must not contain spaces, control characters or backslashes.")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise AddressRefused("This is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        got = scheme + "://" if scheme else "no scheme"
        raise AddressRefused(f"The URL must start with https:// (got {got}).")
    if "@" in parts.netloc:
        raise AddressRefused("The URL must not contain a user name or password.")
    try:
        port = parts.port
    except ValueError:
        raise AddressRefused("The URL has an invalid port.") from None
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise AddressRefused("The URL must not contain a query string or fragment.")
    if port == 0:
        raise AddressRefused("The URL has an invalid port.")
    host, ip = _parse_host(parts.hostname or "")
    loopback = _is_loopback_name(host) or (ip is not None and _effective_ip(ip).is_loopback)
    sandbox_ok = allow_loopback_http and loopback
    if scheme == "http" and not sandbox_ok:
        raise AddressRefused(
            "The URL must use https://; plain http is allowed only for a loopback sandbox "
            "(127.0.0.1, ::1, localhost) when the sandbox is enabled."
        )
    if not sandbox_ok:
        _check_parsed(host, ip, allow_loopback=False)
    if ip is not None and ip.version == 6:
        host = f"[{host}]"
    netloc = host if port is None or port == (443 if scheme == "https" else 80) else f"{host}:{port}"
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), "", ""))


def check_url_resolves(url: str, *, allow_loopback_http: bool) -> str:
    """:func:`check_url`, then :func:`resolve` its host now (before anything connects)."""
    normalised = check_url(url, allow_loopback_http=allow_loopback_http)
    parts = urlsplit(normalised)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    resolve(parts.hostname or "", port, allow_loopback=allow_loopback_http)
    return normalised


# ------------------------------------------------------------------ transport
class _GuardedBackend(httpcore.SyncBackend):
    """Resolves and checks the host at connect time, then connects to a checked address."""

    def __init__(self, *, allow_loopback: bool):
        self.allow_loopback = allow_loopback

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = resolve(host, port, allow_loopback=self.allow_loopback)
        except UnresolvableHost as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        error: Exception | None = None
        for address in addresses:  # numeric addresses: no second DNS lookup
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise AddressRefused("Unix sockets are not allowed for outbound requests.")


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(
        self,
        *,
        allow_loopback: bool,
        verify: ssl.SSLContext | bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits | None = None,
        local_address: str | None = None,
        retries: int = 0,
        socket_options: Any = None,
    ):
        limits = limits or httpx.Limits(
            max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0
        )
        # httpx.HTTPTransport sends every request through self._pool; ours has the guarded backend.
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(verify),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=http1,
            http2=http2,
            local_address=local_address,
            retries=retries,
            socket_options=socket_options,
            network_backend=_GuardedBackend(allow_loopback=allow_loopback),
        )


@functools.lru_cache(maxsize=1)
def _default_ssl_context() -> ssl.SSLContext:
    """One verifying context (certifi's CAs) for all transports: each costs ~20 ms to build."""
    return httpx.create_ssl_context()


def _ssl_context(verify: ssl.SSLContext | bool) -> ssl.SSLContext:
    if isinstance(verify, ssl.SSLContext):
        return verify
    if verify is True:
        return _default_ssl_context()
    if verify is False:
        return httpx.create_ssl_context(verify=False)
    raise TypeError("verify must be an ssl.SSLContext or a bool")


def transport(
    *, allow_loopback: bool, verify: ssl.SSLContext | bool = True, **kwargs: Any
) -> httpx.BaseTransport:
    """An httpx transport that checks every address at connect time and connects to that address.

    Use as ``httpx.Client(transport=transport(allow_loopback=False))``. Refused
    connections raise :class:`AddressRefused` from the request (no connection is
    attempted); unresolvable hosts raise ``httpx.ConnectError``. TLS SNI and
    certificate checks use the URL's host name. ``kwargs``: ``http1``,
    ``http2``, ``limits``, ``local_address``, ``retries``, ``socket_options``
    (no proxies and no Unix sockets: they would bypass the check).
    """
    return _GuardedTransport(allow_loopback=allow_loopback, verify=verify, **kwargs)

"""HTTP shell of the sandbox: a stdlib threading server with HTTP/1.1 keep-alive.

Each response is written with one ``send`` (status line, headers and body
together, TCP_NODELAY on), so a single keep-alive client is not slowed by
Nagle/delayed-ACK stalls.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import data as seed_data
from .control import PREFIX, handle_control
from .service import Response, handle_api, handle_auth, json_response
from .state import DEFAULT_SEED, Sandbox

logger = logging.getLogger("clients.pulseback.sandbox")

MAX_BODY = 20 * 1024 * 1024
_REASONS = {s.value: s.phrase for s in HTTPStatus}


class _Headers:
    """Case-insensitive read-only view of request headers."""

    def __init__(self, message):
        self._message = message

    def get(self, name: str, default: Any = None) -> Any:
        return self._message.get(name, default)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "PulseBackSandbox/1.0"
    disable_nagle_algorithm = True
    timeout = 120  # idle keep-alive connections are dropped after this

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        started = time.perf_counter()
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._write(json_response(411, {"error": "Content-Length required"}), close=True)
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self._write(json_response(413, {"error": "bad or too large Content-Length"}), close=True)
            return
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        path = split.path
        query = parse_qs(split.query, keep_blank_values=True)
        headers = _Headers(self.headers)
        sb: Sandbox = self.server.sandbox  # type: ignore[attr-defined]
        ip = self.client_address[0]
        try:
            if path == "/auth/v1/token":
                resp = handle_auth(sb, query, headers, body, ip) if method == "POST" else _not_allowed("POST")
            elif path == "/api" or path.startswith("/api/"):
                resp = handle_api(sb, method, path, query, headers, body, ip)
            elif path == PREFIX or path.startswith(PREFIX + "/"):
                resp = handle_control(sb, method, path, query, body)
            else:
                resp = json_response(404, {"error": "Not Found"})
        except Exception:  # pragma: no cover - a bug in the sandbox itself
            logger.exception("sandbox error on %s %s", method, path)
            resp = json_response(500, {"error": "sandbox internal error"})
        if resp.delay > 0:
            time.sleep(resp.delay)
        self._write(resp)
        logger.debug(
            "%s %s %s -> %d (%d bytes, %.1f ms)",
            ip,
            method,
            path,
            resp.status,
            len(resp.body),
            (time.perf_counter() - started) * 1000,
        )

    def _write(self, resp: Response, close: bool = False) -> None:
        lines = [
            f"HTTP/1.1 {resp.status} {_REASONS.get(resp.status, 'Unknown')}",
            f"Server: {self.server_version}",
            f"Content-Type: {resp.content_type}",
            f"Content-Length: {len(resp.body)}",
            "Cache-Control: no-store",
        ]
        lines.extend(f"{k}: {v}" for k, v in resp.headers)
        if close or self.close_connection:
            lines.append("Connection: close")
            self.close_connection = True
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            self.wfile.write(head + resp.body)
        except OSError:  # the client went away (e.g. it timed out on a slow answer)
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.client_address[0], *args)


def _not_allowed(allow: str) -> Response:
    return json_response(405, {"error": "Method Not Allowed"}, [("Allow", allow)])


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sandbox: Sandbox):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.sandbox = sandbox
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:  # skip HTTPServer's reverse DNS lookup
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    def process_request(self, request, client_address) -> None:
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request, client_address) -> None:
        logger.debug("connection error from %s", client_address, exc_info=True)


class SandboxServer:
    """The sandbox on a real socket. ``port=0`` picks a free port.

    Use as a context manager (starts a background thread) or call
    :meth:`start` / :meth:`stop`; :meth:`serve_forever` runs in the foreground.
    """

    def __init__(self, sandbox: Sandbox | None = None, host: str = "127.0.0.1", port: int = 0):
        self.sandbox = sandbox if sandbox is not None else Sandbox()
        self._httpd = _HTTPServer((host, port), self.sandbox)
        self.host = host
        self.port: int = self._httpd.server_address[1]
        self._thread: threading.Thread | None = None
        self._serving = False

    @property
    def url(self) -> str:
        wildcard = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104 (not a bind)
        host = wildcard.get(self.host, self.host)
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    @property
    def auth_url(self) -> str:
        return self.url

    @property
    def anon_key(self) -> str:
        return self.sandbox.anon_key

    def start(self) -> SandboxServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.01},  # stop() returns within ~10 ms
                name=f"pulseback-sandbox-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self, poll_interval: float = 0.1) -> None:
        """Serve in the calling thread until :meth:`stop` (from another thread)
        or KeyboardInterrupt."""
        self._serving = True
        try:
            self._httpd.serve_forever(poll_interval=poll_interval)
        finally:
            self._serving = False

    def stop(self) -> None:
        """Stop serving, drop open keep-alive connections and close the socket."""
        if self._thread is not None or self._serving:
            stopper = threading.Thread(target=self._httpd.shutdown, daemon=True)
            stopper.start()
            self._wake()  # the serving loop notices the request at once, not at its next poll
            stopper.join()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._httpd.close_connections()
        self._httpd.server_close()

    def _wake(self) -> None:
        host = self.url.split("//", 1)[1].rsplit(":", 1)[0].strip("[]")
        with contextlib.suppress(OSError):
            socket.create_connection((host, self.port), timeout=0.5).close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    seed: int = DEFAULT_SEED,
    expires_in: int = 3600,
    sandbox: Sandbox | None = None,
    on_ready: Callable[[SandboxServer], None] | None = None,
    **switches: Any,
) -> None:
    """Run a sandbox in the foreground until Ctrl-C (KeyboardInterrupt).

    ``switches`` are start-up switches of a new sandbox (see :mod:`.switches`);
    an invalid one raises :class:`~.switches.SandboxError` before any socket opens.
    """
    if sandbox is not None and switches:
        raise TypeError("pass switches to the Sandbox itself when giving one")
    sb = sandbox if sandbox is not None else Sandbox(seed=seed, expires_in=expires_in, **switches)
    server = SandboxServer(sb, host=host, port=port)
    logger.warning("PulseBack SANDBOX (development tool, not the real PulseBack) on %s", server.url)
    logger.info(
        "  auth URL: %s   API URL: %s   anon key: %s", server.auth_url, server.api_url, server.anon_key
    )
    logger.info(
        "  control API: %s%s/   seed: %s   token lifetime: %ss",
        server.url,
        PREFIX,
        sb.seed,
        sb.config.expires_in,
    )
    if switches:
        logger.info("  start-up switches: %s", ", ".join(f"{k}={v!r}" for k, v in sorted(switches.items())))
    for email, password, name in seed_data.DEMO_ACCOUNTS if sandbox is None else []:
        logger.info("  demo login: %-34s password: %-16s (%s)", email, password, name)
    if on_ready is not None:
        on_ready(server)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        logger.info("stopping the PulseBack sandbox")
    finally:
        server.stop()

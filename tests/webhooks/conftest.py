"""A webhook receiver over real HTTP on loopback, which can fail on purpose."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.api.conftest import clients_two  # noqa: F401  (shared fixture)


class Receiver:
    def __init__(self):
        self.requests = []  # (status answered, headers, body)
        self.fail_first = 0
        self.always_fail = False
        self.status_on_success = 200
        self.redirect_to = None
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/in?src=portal"

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    failing = receiver.always_fail or receiver.fail_first > 0
                    if receiver.fail_first > 0:
                        receiver.fail_first -= 1
                    status = 500 if failing else receiver.status_on_success
                    if receiver.redirect_to:
                        status = 302
                    receiver.requests.append((status, dict(self.headers), body, self.path))
                self.send_response(status)
                if status == 302:
                    self.send_header("Location", receiver.redirect_to)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        return Handler

    def delivered(self):
        """(headers, payload) of the requests answered 2xx."""
        return [(h, json.loads(b)) for s, h, b, _p in self.requests if 200 <= s < 300]


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r

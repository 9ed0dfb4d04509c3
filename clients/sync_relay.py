"""The hand-over between the sync's fetching thread and its writing thread.

The fetcher runs a walk (clients.sync_walk) and pages ahead through a bounded
queue; the writer owns the database connection, so session renewals (database
work under a row lock, in the agency's schema) are asked of it.
"""

import queue
import threading

from clients.sessions import token_usable
from clients.sync_lock import SyncStopped


def put(pages, item, stop):
    """Queue ``item`` unless the pass was stopped (the writer is gone)."""
    while not stop.is_set():
        try:
            pages.put(item, timeout=0.2)
            return True
        except queue.Full:
            continue
    return False


def fetch_ahead(walk, pages, stop, prepare=lambda page: page):
    """The fetching thread: every page of ``walk`` into ``pages`` (through ``prepare``), then None;
    an error is handed over to the writing thread, which raises it."""
    try:
        while not stop.is_set() and not walk.done:
            put(pages, prepare(walk.next()), stop)
        put(pages, None, stop)
    except BaseException as exc:  # handed to the writing thread, which raises it
        put(pages, exc, stop)


class TokenRequest:
    """A token asked of the writing thread, which owns the database connection."""

    def __init__(self, stale):
        self.stale = stale
        self.done = threading.Event()
        self.token = self.expires_at = self.lifetime = self.error = None

    def answer(self, tokens):
        try:
            self.token = tokens.get() if self.stale is None else tokens.renew(self.stale)
            self.expires_at, self.lifetime = tokens.expires_at, tokens.lifetime
        except BaseException as exc:
            self.error = exc
        self.done.set()


class TokensFromWriter:
    """The fetcher thread's token provider: session renewals (database work, under
    a row lock) happen in the writing thread, inside the agency's schema."""

    def __init__(self, pages, stop):
        self.pages, self.stop = pages, stop
        self.token = self.expires_at = self.lifetime = None

    def _ask(self, stale):
        request = TokenRequest(stale)
        if not put(self.pages, request, self.stop):
            raise SyncStopped("the sync stopped this pass")
        while not request.done.wait(0.2):
            if self.stop.is_set():
                raise SyncStopped("the sync stopped this pass")
        if request.error is not None:
            raise request.error
        self.token, self.expires_at, self.lifetime = request.token, request.expires_at, request.lifetime
        return request.token

    def get(self):
        if token_usable(self.token, self.expires_at, self.lifetime):
            return self.token
        return self._ask(None)

    def renew(self, stale_token):
        return self._ask(stale_token)

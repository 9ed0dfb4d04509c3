"""PulseBack sandbox: a local emulator of the PulseBack contract (development tool).

It implements Supabase-style auth, ``GET``/``POST /api/feedback``, rate-limit
headers and token expiry over seeded, realistic data, plus fault switches and
a control API under ``/__sandbox__/``. Stdlib only; never a production default.

Quick use::

    with SandboxServer(Sandbox(seed=1)) as server:
        ...  # server.auth_url, server.api_url, server.anon_key

Demo logins: :data:`DEMO_ACCOUNTS`.
"""

from .data import DEMO_ACCOUNTS, SOURCES, TRICKY_COMMENTS
from .server import SandboxServer, serve
from .state import ANON_KEY, DEFAULT_SEED, MALFORMED_KINDS, Sandbox
from .switches import Config, Faults, SandboxError

__all__ = [
    "ANON_KEY",
    "Config",
    "DEFAULT_SEED",
    "DEMO_ACCOUNTS",
    "Faults",
    "MALFORMED_KINDS",
    "SOURCES",
    "Sandbox",
    "SandboxError",
    "SandboxServer",
    "TRICKY_COMMENTS",
    "serve",
]

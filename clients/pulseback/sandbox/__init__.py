"""PulseBack sandbox: a local emulator of the PulseBack contract (development tool).

It implements Supabase-style auth, ``GET``/``POST /api/feedback``, rate-limit
headers and token expiry over seeded, realistic data, plus fault switches and
a control API under ``/__sandbox__/``. Stdlib only; never a production default.

Quick use::

    with SandboxServer(Sandbox(seed=1)) as server:
        ...  # server.auth_url, server.api_url, server.anon_key

Switches (faults and behaviour) are set at start-up as keyword arguments,
``Sandbox(expires_in=10, clock_skew=-60, api_429_every=20, api_429_burst=3)``,
or later through ``set_faults``/``configure`` and the control API; see
:mod:`.switches`. What happened, per account: :mod:`.counters`.

Demo logins: :data:`DEMO_ACCOUNTS`.
"""

from .counters import COUNTERS
from .data import DEMO_ACCOUNTS, SOURCES, TRICKY_COMMENTS
from .server import SandboxServer, serve
from .state import ANON_KEY, DEFAULT_SEED, MALFORMED_KINDS, Sandbox
from .switches import Config, Faults, SandboxError, check_switches

__all__ = [
    "ANON_KEY",
    "COUNTERS",
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
    "check_switches",
    "serve",
]

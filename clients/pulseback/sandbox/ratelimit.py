"""API rate limiting of the sandbox: the request quota and injected 429 bursts.

Quota (``Config.api_rate_limit`` per ``Config.api_rate_window`` seconds, a
fixed window that starts with the first request of its key): every API answer
carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and
``X-RateLimit-Reset``; a request beyond the quota answers 429 (counted
``api_429_limit``) until the window ends.

Injected bursts (``Faults.api_429_next``, ``Faults.api_429_every`` /
``Faults.api_429_burst``): see :func:`take_injected_429`. Both kinds of 429
name their wait in ``Retry-After`` (:func:`retry_after`).
"""

from __future__ import annotations

import math
from email.utils import formatdate
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .state import Sandbox

BURST_SWITCHES = frozenset({"api_429_every", "api_429_burst"})


def count_request(sb: Sandbox, key: str) -> tuple[list[tuple[str, str]], float | None]:
    """Count one request in ``key``'s window; returns the rate-limit headers, and
    the seconds until the window ends if the request is over the quota."""
    cfg = sb.config
    now = sb.now()
    start, count = sb.windows.get(key, (now, 0))
    if now >= start + cfg.api_rate_window:
        start, count = now, 0
    count += 1
    sb.windows[key] = (start, count)
    end = start + cfg.api_rate_window
    remaining = max(0, cfg.api_rate_limit - count)
    reset = math.ceil(end) if cfg.reset_format == "timestamp" else max(0, math.ceil(end - now))
    headers = [
        ("X-RateLimit-Limit", str(cfg.api_rate_limit)),
        ("X-RateLimit-Remaining", str(remaining)),
        ("X-RateLimit-Reset", str(reset)),
    ]
    over = count > cfg.api_rate_limit
    return headers, (max(1, math.ceil(end - now)) if over else None)


def take_injected_429(sb: Sandbox) -> bool:
    """Whether this API request gets an injected 429.

    ``api_429_next`` is consumed first. Then, with ``api_429_every = M`` and
    ``api_429_burst = K`` (both > 0), requests run in cycles of M + K: the
    first M pass, the last K answer 429. The cycle restarts (at a passing
    request) whenever either switch is set, and on ``clear_faults``/``reset``.
    """
    faults = sb.faults
    if faults.api_429_next > 0:
        faults.api_429_next -= 1
        return True
    every, burst = faults.api_429_every, faults.api_429_burst
    if every <= 0 or burst <= 0:
        return False
    phase = sb.burst_phase % (every + burst)
    sb.burst_phase = phase + 1
    return phase >= every


def retry_after(sb: Sandbox, seconds: float | None) -> list[tuple[str, str]]:
    """The ``Retry-After`` header for a wait of ``seconds`` (none for None), in
    seconds or, with ``Config.retry_after_format="date"``, as an HTTP date
    (rounded up to the next whole second)."""
    if seconds is None:
        return []
    if sb.config.retry_after_format == "date":
        return [("Retry-After", formatdate(math.ceil(sb.now() + seconds), usegmt=True))]
    return [("Retry-After", format(seconds, "f").rstrip("0").rstrip("."))]

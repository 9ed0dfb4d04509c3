"""Reading PulseBack's and Supabase's answers: bodies, error details and wait headers."""

from __future__ import annotations

import email.utils
import json
import math
import re
from dataclasses import dataclass
from typing import Any

import httpx

from .errors import ProtocolError

_CODE = re.compile(r"[a-z0-9_]{1,64}")
RESET_TIMESTAMP_THRESHOLD = 10**9  # X-RateLimit-Reset above this is a Unix time, else seconds


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class FeedbackPage:
    items: list[dict]  # raw items, unvalidated: validating each is the caller's job
    total: int
    limit: int
    offset: int


@dataclass
class RateLimitState:
    remaining: int | None = None
    reset_at: float | None = None  # Unix seconds


def load_json(resp: httpx.Response) -> Any:
    try:
        return json.loads(resp.content)
    except ValueError:
        raise ProtocolError("answer is not valid JSON") from None


def parse_page(data: Any, *, limit: int, offset: int) -> FeedbackPage:
    if not isinstance(data, dict):
        raise ProtocolError("feedback answer is not a JSON object")
    items = data.get("feedback")
    if not isinstance(items, list):
        raise ProtocolError("feedback answer has no 'feedback' list")
    total = data.get("total")
    if not is_int(total) or total < 0:
        raise ProtocolError("feedback answer has no non-negative integer 'total'")
    got_limit, got_offset = data.get("limit", limit), data.get("offset", offset)
    if not is_int(got_limit) or not is_int(got_offset) or got_limit < 0 or got_offset < 0:
        raise ProtocolError("feedback answer has invalid 'limit' or 'offset'")
    return FeedbackPage(items=items, total=total, limit=got_limit, offset=got_offset)


def parse_created(data: Any) -> dict:
    if isinstance(data, dict) and "id" not in data and isinstance(data.get("feedback"), dict):
        data = data["feedback"]
    if not isinstance(data, dict):
        raise ProtocolError("create answer is not a JSON object")
    return data


def clean(text: str | None, secrets: tuple[str, ...]) -> str | None:
    """Server-provided text made safe for messages: secrets redacted, one line, short."""
    if not text:
        return None
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()
    return text[:200] + ("..." if len(text) > 200 else "")


def error_details(resp: httpx.Response) -> tuple[str | None, str | None]:
    """(error code, message) from either Supabase shape or a PulseBack JSON error."""
    try:
        data = json.loads(resp.content)
    except ValueError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    code = message = None
    for key in ("error_code", "error", "code"):
        value = data.get(key)
        if isinstance(value, str) and _CODE.fullmatch(value):
            code = value
            break
    for key in ("msg", "message", "error_description", "error", "detail"):
        value = data.get(key)
        if isinstance(value, str) and value and value != code:
            message = value
            break
    return code, message


def retry_after(resp: httpx.Response, now: float) -> float | None:
    """``Retry-After`` in seconds from ``now`` (delta or HTTP date), or None."""
    raw = resp.headers.get("Retry-After")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        try:
            value = email.utils.parsedate_to_datetime(raw).timestamp() - now
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return max(0.0, value) if math.isfinite(value) else None


def rate_limit(resp: httpx.Response, now: float) -> RateLimitState | None:
    """``X-RateLimit-Remaining``/``-Reset`` of an answer, or None when it has neither."""
    raw_remaining = resp.headers.get("X-RateLimit-Remaining")
    raw_reset = resp.headers.get("X-RateLimit-Reset")
    if raw_remaining is None and raw_reset is None:
        return None
    try:
        remaining = int(float(raw_remaining)) if raw_remaining is not None else None
    except (ValueError, OverflowError):
        remaining = None
    try:
        reset = float(raw_reset) if raw_reset is not None else None
    except ValueError:
        reset = None
    reset_at = None
    if reset is not None and math.isfinite(reset) and reset >= 0:
        reset_at = reset if reset > RESET_TIMESTAMP_THRESHOLD else now + reset
    return RateLimitState(remaining, reset_at)

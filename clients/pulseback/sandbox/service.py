"""The PulseBack contract over a :class:`~.state.Sandbox`: auth and feedback API.

Each handler takes a parsed request and returns a :class:`Response`; nothing
here touches sockets, so the server stays a thin shell.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import data as seed_data
from .state import Account, Item, Sandbox
from .switches import SandboxError

FIELD_LIMITS = {
    "customer_name": 200,
    "customer_email": 320,
    "customer_phone": 50,
    "comment": 5000,
    "source": 50,
}


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0  # seconds to wait before answering (slow-answer fault)
    content_type: str = "application/json; charset=utf-8"


def json_response(status: int, obj: Any, headers: list[tuple[str, str]] | None = None) -> Response:
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(status, body, list(headers or []))


def _supabase_error(status: int, code: str, msg: str, shape: str = "new") -> Response:
    if shape == "old":
        return json_response(status, {"error": "invalid_grant", "error_description": msg})
    return json_response(status, {"code": status, "error_code": code, "msg": msg})


def _first(query: Mapping[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


# --------------------------------------------------------------------- auth
def handle_auth(
    sb: Sandbox, query: Mapping[str, list[str]], headers: Mapping[str, str], body: bytes, ip: str
):
    """``POST /auth/v1/token?grant_type=password|refresh_token`` (Supabase Auth)."""
    apikey = headers.get("apikey")
    if not apikey:
        return json_response(401, {"message": "No API key found in request"})
    if apikey != sb.anon_key:
        return json_response(401, {"message": "Invalid API key"})
    grant = _first(query, "grant_type")
    with sb.lock:
        sb.stats["auth_requests"] += 1
        if sb.faults.auth_5xx_next > 0:
            sb.faults.auth_5xx_next -= 1
            sb.stats["auth_5xx_fault"] += 1
            return json_response(503, {"message": "upstream connect error"})
        if sb.faults.auth_429_next > 0:
            sb.faults.auth_429_next -= 1
            sb.stats["auth_429_fault"] += 1
            return _supabase_error(429, "over_request_rate_limit", "Request rate limit reached")
        if not sb.auth_bucket_take(ip):
            sb.stats["auth_429_bucket"] += 1
            return _supabase_error(429, "over_request_rate_limit", "Request rate limit reached")
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return _supabase_error(400, "validation_failed", "Could not parse request body as JSON")
        if grant == "password":
            email, password = payload.get("email"), payload.get("password")
            if not isinstance(email, str) or not email or not isinstance(password, str) or not password:
                return _supabase_error(400, "validation_failed", "Missing email or password")
            session = sb.sign_in(email, password)
            if session is None:
                sb.stats["sign_in_failures"] += 1
                return _supabase_error(
                    400, "invalid_credentials", "Invalid login credentials", sb.next_error_shape()
                )
            return json_response(200, session)
        if grant == "refresh_token":
            token = payload.get("refresh_token")
            if not isinstance(token, str) or not token:
                return _supabase_error(400, "validation_failed", "Missing refresh_token")
            session, error = sb.refresh(token)
            if session is None:
                sb.stats["refresh_failures"] += 1
                msg = "Invalid Refresh Token: " + (
                    "Already Used" if error == "refresh_token_already_used" else "Refresh Token Not Found"
                )
                return _supabase_error(400, str(error), msg, sb.next_error_shape())
            return json_response(200, session)
        return _supabase_error(400, "unsupported_grant_type", "unsupported_grant_type")


# ---------------------------------------------------------------------- API
def _rate_headers(sb: Sandbox, key: str) -> tuple[list[tuple[str, str]], float | None]:
    """Count one request in ``key``'s window; returns headers and Retry-After if over."""
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


def _take(sb: Sandbox, count_attr: str, prob_attr: str | None = None) -> bool:
    faults = sb.faults
    if getattr(faults, count_attr) > 0:
        setattr(faults, count_attr, getattr(faults, count_attr) - 1)
        return True
    return bool(
        prob_attr and getattr(faults, prob_attr) > 0 and sb.fault_rng.random() < getattr(faults, prob_attr)
    )


def _malformed_body(sb: Sandbox, body: bytes) -> bytes:
    kind = sb.faults.malformed_kind
    if kind == "html":
        return b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    if kind == "envelope":
        return b'{"feedback":null,"total":"many"}'
    if kind == "empty":
        return b""
    return body[: max(1, len(body) // 2)]


def handle_api(
    sb: Sandbox,
    method: str,
    path: str,
    query: Mapping[str, list[str]],
    headers: Mapping[str, str],
    body: bytes,
    ip: str,
) -> Response:
    """``GET``/``POST`` ``/api/feedback`` with faults and rate-limit headers."""
    auth = headers.get("authorization") or ""
    token = auth[7:].strip() if auth[:7].lower() == "bearer " else None
    with sb.lock:
        sb.stats["api_requests"] += 1
        faults = sb.faults
        delay = 0.0
        if faults.slow_ms > 0 and (faults.slow_next is None or faults.slow_next > 0):
            if faults.slow_next is not None:
                faults.slow_next -= 1
            delay = faults.slow_ms / 1000.0
            sb.stats["slow_fault"] += 1
        acct = sb.authenticate(token)
        if acct is not None:
            key = "account:" + acct.email if sb.config.api_rate_scope == "account" else "token:" + str(token)
        else:
            key = "ip:" + ip
        rl_headers, over = _rate_headers(sb, key)
        resp = _api_answer(sb, acct, method, path, query, body, over)
        if 200 <= resp.status < 300 and _take(sb, "malformed_next", "malformed_probability"):
            sb.stats["malformed_fault"] += 1
            resp.body = _malformed_body(sb, resp.body)
        resp.headers = rl_headers + resp.headers
        resp.delay = delay
        return resp


def _api_answer(
    sb: Sandbox,
    acct: Account | None,
    method: str,
    path: str,
    query: Mapping[str, list[str]],
    body: bytes,
    over,
) -> Response:
    faults = sb.faults
    if _take(sb, "api_429_next"):
        sb.stats["api_429_fault"] += 1
        ra = faults.api_429_retry_after
        hdrs = [] if ra is None else [("Retry-After", f"{ra:g}")]
        return json_response(429, {"error": "Too Many Requests"}, hdrs)
    if _take(sb, "api_5xx_next", "api_5xx_probability"):
        sb.stats["api_5xx_fault"] += 1
        return json_response(faults.api_5xx_status, {"error": "Service Unavailable"})
    if over is not None:
        sb.stats["api_429_limit"] += 1
        return json_response(429, {"error": "Too Many Requests"}, [("Retry-After", str(over))])
    if path.rstrip("/") != "/api/feedback":
        return json_response(404, {"error": "Not Found"})
    if acct is None:
        sb.stats["api_401"] += 1
        return json_response(401, {"error": "Unauthorized", "message": "Invalid or expired token"})
    try:
        if method == "GET":
            return _list(sb, acct, query)
        if method == "POST":
            return _create(sb, acct, body)
    except SandboxError as exc:
        return json_response(exc.status, {"error": str(exc)})
    return json_response(405, {"error": "Method Not Allowed"}, [("Allow", "GET, POST")])


def _int_param(
    query: Mapping[str, list[str]], name: str, default: int | None, lo: int, hi: int | None
) -> int | None:
    raw = _first(query, name)
    if raw is None:
        return default
    try:
        value = int(raw.strip(), 10)
    except ValueError:
        value = None
    if value is None or value < lo or (hi is not None and value > hi):
        bound = f"from {lo} to {hi}" if hi is not None else f"of at least {lo}"
        raise SandboxError(f"{name} must be an integer {bound}")
    return value


def _list(sb: Sandbox, acct: Account, query: Mapping[str, list[str]]) -> Response:
    status = _first(query, "status") or None
    sentiment = _first(query, "sentiment") or None
    if status is not None and status not in seed_data.STATUSES:
        raise SandboxError("status must be one of new, reviewed, resolved")
    if sentiment is not None and sentiment not in seed_data.SENTIMENTS:
        raise SandboxError("sentiment must be one of positive, neutral, negative")
    limit = _int_param(query, "limit", 20, 1, 100)
    offset = _int_param(query, "offset", 0, 0, None)
    days = _int_param(query, "days", None, 1, 100_000)
    sb.stats["api_list"] += 1
    faults = sb.faults
    if faults.drift_per_request > 0:
        now = sb.now()
        for i in range(faults.drift_per_request):
            acct.insert(sb.new_item(acct, now + i * 1e-3))
        sb.stats["drift_items"] += faults.drift_per_request
    if faults.status_changes_per_request > 0:
        changed = sb.advance_statuses(acct.email, faults.status_changes_per_request, rng=sb.fault_rng)
        sb.stats["status_changes"] += len(changed)
    page = sb.page(acct, status=status, sentiment=sentiment, days=days, limit=limit, offset=offset)
    return Response(200, page)


def _create(sb: Sandbox, acct: Account, body: bytes) -> Response:
    try:
        payload = json.loads(body or b"null")
    except ValueError:
        raise SandboxError("body must be a JSON object") from None
    if not isinstance(payload, dict):
        raise SandboxError("body must be a JSON object")
    rating = payload.get("rating")
    if rating is None:
        raise SandboxError("rating is required")
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise SandboxError("rating must be an integer from 1 to 5")
    for name, limit in FIELD_LIMITS.items():
        value = payload.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise SandboxError(f"{name} must be a string of at most {limit} characters")
    email = payload.get("customer_email")
    if email and "@" not in email:
        raise SandboxError("customer_email is not a valid email address")
    now = sb.now()
    sentiment, score = seed_data.sentiment_for(rating, acct.rng.random())
    item = {
        "id": seed_data.new_uuid(acct.rng),
        "created_at": seed_data.iso_utc(now),
        "customer_name": payload.get("customer_name"),
        "customer_email": email,
        "rating": rating,
        "comment": payload.get("comment"),
        "sentiment": sentiment,
        "sentiment_score": score,
        "themes": seed_data.themes_from_comment(payload.get("comment"), acct.kind),
        "status": "new",
        "source": payload.get("source") or "api",
    }
    it = Item(item["id"], now, item)
    acct.insert(it)
    sb.stats["api_create"] += 1
    return Response(201, it.raw)

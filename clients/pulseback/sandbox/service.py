"""The PulseBack contract over a :class:`~.state.Sandbox`: auth and feedback API.

Each handler takes a parsed request and returns a :class:`Response`; nothing
here touches sockets, so the server stays a thin shell. Every request is
counted, in total and for the account it names (see :mod:`.counters`).

Order of checks on the API: slow answer, then token check and quota count,
then injected 429, injected 5xx, quota 429, 404, 401 (counted
``api_401_expired`` too when the token was expired), then the answer itself
(drift first for a list page), then a malformed body.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import data as seed_data
from .accounts import Account, Item
from .drift import drift_page
from .ratelimit import count_request, retry_after, take_injected_429
from .state import Sandbox
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
    try:
        payload = json.loads(body or b"null")
    except ValueError:
        payload = None
    with sb.lock:
        subject = sb.auth_subject(grant, payload)
        count = sb.counters.add
        count("auth_requests", subject)
        if sb.faults.auth_5xx_next > 0:
            sb.faults.auth_5xx_next -= 1
            count("auth_5xx_fault", subject)
            return json_response(503, {"message": "upstream connect error"})
        if sb.faults.auth_429_next > 0:
            sb.faults.auth_429_next -= 1
            count("auth_429_fault", subject)
            return _supabase_error(429, "over_request_rate_limit", "Request rate limit reached")
        if not sb.auth_bucket_take(ip):
            count("auth_429_bucket", subject)
            return _supabase_error(429, "over_request_rate_limit", "Request rate limit reached")
        if not isinstance(payload, dict):
            return _supabase_error(400, "validation_failed", "Could not parse request body as JSON")
        if grant == "password":
            email, password = payload.get("email"), payload.get("password")
            if not isinstance(email, str) or not email or not isinstance(password, str) or not password:
                return _supabase_error(400, "validation_failed", "Missing email or password")
            session = sb.sign_in(email, password)
            if session is None:
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
                msg = "Invalid Refresh Token: " + (
                    "Already Used" if error == "refresh_token_already_used" else "Refresh Token Not Found"
                )
                return _supabase_error(400, str(error), msg, sb.next_error_shape())
            return json_response(200, session)
        return _supabase_error(400, "unsupported_grant_type", "unsupported_grant_type")


# ---------------------------------------------------------------------- API
def _take(sb: Sandbox, count_attr: str, prob_attr: str | None = None) -> bool:
    """Consume one of a ``*_next`` fault count, else roll its probability."""
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
        acct, owner, state = sb.check_token(token)
        sb.counters.add("api_requests", owner)
        faults = sb.faults
        delay = 0.0
        if faults.slow_ms > 0 and (faults.slow_next is None or faults.slow_next > 0):
            if faults.slow_next is not None:
                faults.slow_next -= 1
            delay = faults.slow_ms / 1000.0
            sb.counters.add("slow_fault", owner)
        if acct is not None:
            key = "account:" + acct.email if sb.config.api_rate_scope == "account" else "token:" + str(token)
        else:
            key = "ip:" + ip
        rl_headers, over = count_request(sb, key)
        resp = _api_answer(sb, acct, (owner, state), method, path, query, body, over)
        if 200 <= resp.status < 300 and _take(sb, "malformed_next", "malformed_probability"):
            sb.counters.add("malformed_fault", owner)
            resp.body = _malformed_body(sb, resp.body)
        resp.headers = rl_headers + resp.headers
        resp.delay = delay
        return resp


def _api_answer(
    sb: Sandbox,
    acct: Account | None,
    token_state: tuple[str | None, str],
    method: str,
    path: str,
    query: Mapping[str, list[str]],
    body: bytes,
    over: float | None,
) -> Response:
    faults = sb.faults
    owner, state = token_state
    if take_injected_429(sb):
        sb.counters.add("api_429_fault", owner)
        return json_response(429, {"error": "Too Many Requests"}, retry_after(sb, faults.api_429_retry_after))
    if _take(sb, "api_5xx_next", "api_5xx_probability"):
        sb.counters.add("api_5xx_fault", owner)
        return json_response(faults.api_5xx_status, {"error": "Service Unavailable"})
    if over is not None:
        sb.counters.add("api_429_limit", owner)
        wait = over if sb.config.api_rate_retry_after else None
        return json_response(429, {"error": "Too Many Requests"}, retry_after(sb, wait))
    if path.rstrip("/") != "/api/feedback":
        return json_response(404, {"error": "Not Found"})
    if acct is None:
        sb.counters.add("api_401", owner)
        if state == "expired":
            sb.counters.add("api_401_expired", owner)
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
    added, removed, changed = drift_page(sb, acct, sb.view(acct, status, sentiment)[0], offset)
    sb.counters.add("drift_items", acct.email, added)
    sb.counters.add("drift_removed", acct.email, removed)
    sb.counters.add("status_changes", acct.email, changed)
    page = sb.page(acct, status=status, sentiment=sentiment, days=days, limit=limit, offset=offset)
    sb.counters.add("api_list", acct.email)
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
    sb.counters.add("api_create", acct.email)
    return Response(201, it.raw)

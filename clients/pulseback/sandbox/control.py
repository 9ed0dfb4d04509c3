"""The sandbox control API under ``/__sandbox__/`` (JSON in, JSON out).

Every route maps onto a :class:`~.state.Sandbox` method of the same meaning,
so in-process tests call the methods and out-of-process tools (the demo, a
browser) call these routes.

| route | body / query | method |
| --- | --- | --- |
| ``GET  /__sandbox__/`` | | overview: accounts, anon key, faults, config, stats |
| ``GET  /__sandbox__/accounts`` | | ``list_accounts()`` |
| ``POST /__sandbox__/accounts`` | ``{email, password, name?, items?, kind?, seed?}`` | ``add_account()`` |
| ``GET  /__sandbox__/items?email=&include_malformed=1`` | | ``ground_truth()``, ``removed_ids()`` |
| ``POST /__sandbox__/items`` | ``{email, count?, items?: [partial item]}`` | ``add_items()`` |
| ``POST /__sandbox__/items/status`` | ``{email, ids, status}`` | ``set_status()`` |
| ``POST /__sandbox__/items/status`` | ``{email, advance: N}`` | ``advance_statuses()`` |
| ``POST /__sandbox__/items/remove`` | ``{email, ids}`` | ``remove_items()`` |
| ``POST /__sandbox__/items/malformed`` | ``{email, kinds?}`` | ``inject_malformed()`` |
| ``GET/POST /__sandbox__/faults`` | partial ``Faults`` | ``set_faults()`` |
| ``POST /__sandbox__/faults/clear`` | | ``clear_faults()`` |
| ``GET/POST /__sandbox__/config`` | partial ``Config`` | ``configure()`` |
| ``POST /__sandbox__/clock`` | ``{advance: seconds}`` | ``advance_clock()`` |
| ``POST /__sandbox__/sessions/revoke`` | ``{email}`` | ``revoke_sessions()`` |
| ``GET  /__sandbox__/stats`` | | ``get_stats()``: totals |
| ``GET  /__sandbox__/stats?email=`` | | ``get_stats(email)``: one account |
| ``GET  /__sandbox__/stats/accounts`` | | ``account_stats()``: every account |
| ``POST /__sandbox__/stats/reset`` | ``{email?}`` | ``reset_stats()`` |
| ``POST /__sandbox__/reset`` | | ``reset()`` |

``GET /__sandbox__/items`` answers ``{email, items, removed}``: the current
items newest first, exactly as the API would serve them now, and the ids
removed since the account was made (by drift or ``items/remove``) and not added
back. Switches: see :mod:`.switches`; counters: see :mod:`.counters`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from .service import Response, json_response
from .state import Sandbox
from .switches import SandboxError

PREFIX = "/__sandbox__"


def _payload(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        payload = json.loads(body)
    except ValueError:
        raise SandboxError("body must be JSON") from None
    if not isinstance(payload, dict):
        raise SandboxError("body must be a JSON object")
    return payload


def _ids(payload: Mapping[str, Any]) -> list[str]:
    ids = payload.get("ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise SandboxError("ids must be a list of strings")
    return ids


def _overview(sb: Sandbox) -> dict[str, Any]:
    with sb.lock:
        return {
            "sandbox": "PulseBack sandbox (development tool, not PulseBack)",
            "anon_key": sb.anon_key,
            "now": sb.now(),
            "accounts": sb.list_accounts(),
            "faults": dataclasses.asdict(sb.faults),
            "config": dataclasses.asdict(sb.config),
            "stats": sb.get_stats(),
        }


def handle_control(
    sb: Sandbox, method: str, path: str, query: Mapping[str, list[str]], body: bytes
) -> Response:
    route = path[len(PREFIX) :].strip("/")
    try:
        payload = _payload(body) if method == "POST" else {}
        return _route(sb, method, route, query, payload)
    except SandboxError as exc:
        return json_response(exc.status, {"error": str(exc)})
    except TypeError as exc:  # unexpected keyword arguments
        return json_response(400, {"error": f"bad arguments: {exc}"})


def _route(sb: Sandbox, method: str, route: str, query, p: dict[str, Any]) -> Response:
    key = (method, route)
    if key == ("GET", ""):
        return json_response(200, _overview(sb))
    if key == ("GET", "accounts"):
        return json_response(200, {"accounts": sb.list_accounts()})
    if key == ("POST", "accounts"):
        return json_response(201, sb.add_account(**p))
    if key == ("GET", "items"):
        email = (query.get("email") or [""])[0]
        include = (query.get("include_malformed") or ["0"])[0].lower() in ("1", "true", "yes")
        with sb.lock:
            raw = sb.ground_truth_json(email, include_malformed=include)
            acct = sb.account(email)
            removed = json.dumps(sb.removed_ids(email)).encode()
        return Response(
            200, b'{"email":%b,"items":%b,"removed":%b}' % (json.dumps(acct.email).encode(), raw, removed)
        )
    if key == ("POST", "items"):
        ids = sb.add_items(p.get("email", ""), count=p.get("count", 0), items=p.get("items"))
        return json_response(201, {"added": ids})
    if key == ("POST", "items/status"):
        if "advance" in p:
            n = p["advance"]
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise SandboxError("advance must be a non-negative integer")
            return json_response(200, {"changed": sb.advance_statuses(p.get("email", ""), n)})
        return json_response(
            200, {"changed": sb.set_status(p.get("email", ""), _ids(p), p.get("status", ""))}
        )
    if key == ("POST", "items/remove"):
        return json_response(200, {"removed": sb.remove_items(p.get("email", ""), _ids(p))})
    if key == ("POST", "items/malformed"):
        return json_response(201, {"injected": sb.inject_malformed(p.get("email", ""), p.get("kinds"))})
    if key == ("GET", "faults"):
        return json_response(200, dataclasses.asdict(sb.faults))
    if key == ("POST", "faults"):
        return json_response(200, sb.set_faults(**p))
    if key == ("POST", "faults/clear"):
        return json_response(200, sb.clear_faults())
    if key == ("GET", "config"):
        return json_response(200, dataclasses.asdict(sb.config))
    if key == ("POST", "config"):
        return json_response(200, sb.configure(**p))
    if key == ("POST", "clock"):
        seconds = p.get("advance", 0)
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise SandboxError("advance must be a number of seconds")
        return json_response(200, {"now": sb.advance_clock(seconds)})
    if key == ("POST", "sessions/revoke"):
        return json_response(200, {"revoked": sb.revoke_sessions(p.get("email", ""))})
    if key == ("GET", "stats"):
        email = (query.get("email") or [None])[0]
        return json_response(200, sb.get_stats(email))
    if key == ("GET", "stats/accounts"):
        return json_response(200, sb.account_stats())
    if key == ("POST", "stats/reset"):
        sb.reset_stats(p.get("email"))
        return json_response(200, {"reset": True})
    if key == ("POST", "reset"):
        sb.reset()
        return json_response(200, {"reset": True})
    return json_response(404, {"error": f"no control route {method} {PREFIX}/{route}"})

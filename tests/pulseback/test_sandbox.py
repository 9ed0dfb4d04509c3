"""The sandbox against the contract, over real HTTP (plain httpx)."""

from __future__ import annotations

import base64
import contextlib
import json
import math
import re
import threading
import time
import uuid
from collections import Counter
from datetime import datetime
from email.utils import parsedate_to_datetime

import httpx
import pytest

from clients.pulseback.sandbox import (
    COUNTERS,
    DEMO_ACCOUNTS,
    Sandbox,
    SandboxError,
    SandboxServer,
    check_switches,
    serve,
)

BISTRO_EMAIL, BISTRO_PASSWORD, _ = DEMO_ACCOUNTS[0]
TOKEN_URL = "/auth/v1/token"


def sign_in(http: httpx.Client, email=BISTRO_EMAIL, password=BISTRO_PASSWORD, apikey="sandbox-anon-key"):
    headers = {"apikey": apikey} if apikey is not None else {}
    return http.post(
        TOKEN_URL,
        params={"grant_type": "password"},
        json={"email": email, "password": password},
        headers=headers,
    )


def refresh(http: httpx.Client, token: str):
    return http.post(
        TOKEN_URL,
        params={"grant_type": "refresh_token"},
        json={"refresh_token": token},
        headers={"apikey": "sandbox-anon-key"},
    )


def token(http: httpx.Client, email=BISTRO_EMAIL, password=BISTRO_PASSWORD) -> str:
    resp = sign_in(http, email, password)
    assert resp.status_code == 200, resp.text
    return resp.json()["access_token"]


def bearer(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}"}


def list_(http: httpx.Client, tok: str, **params):
    return http.get("/api/feedback", params=params, headers=bearer(tok))


# ------------------------------------------------------------------ seed data
def test_demo_data_is_realistic():
    sandbox = Sandbox()
    accounts = {a["email"]: a for a in sandbox.list_accounts()}
    assert len(DEMO_ACCOUNTS) >= 4
    for email, _password, name in DEMO_ACCOUNTS:
        assert accounts[email]["name"] == name
        assert accounts[email]["items"] >= 150
    items = [it for email, *_ in DEMO_ACCOUNTS for it in sandbox.ground_truth(email)]
    now = sandbox.now()
    for it in items:
        assert list(it) == [
            "id", "created_at", "customer_name", "customer_email", "rating", "comment",
            "sentiment", "sentiment_score", "themes", "status", "source",
        ]  # fmt: skip
        assert str(uuid.UUID(it["id"])) == it["id"]
        assert it["rating"] in (1, 2, 3, 4, 5)
        assert it["status"] in ("new", "reviewed", "resolved")
        assert 0 <= it["sentiment_score"] <= 1
        if it["sentiment"] == "positive":
            assert it["rating"] >= 3 and it["sentiment_score"] > 0.6
        if it["sentiment"] == "negative":
            assert it["rating"] <= 3 and it["sentiment_score"] < 0.4
        age = now - datetime.fromisoformat(it["created_at"].replace("Z", "+00:00")).timestamp()
        assert 0 <= age <= 401 * 86400
    ratings = Counter(it["rating"] for it in items)
    assert ratings[5] > ratings[4] > ratings[3] and ratings[1] > ratings[2]  # J-shaped skew
    assert {it["source"] for it in items} >= {
        "widget",
        "phone",
        "email",
        "pos_integration",
        "toast_integration",
    }
    themes = {t for it in items for t in it["themes"]}
    assert themes >= {
        "service",
        "food quality",
        "wait time",
        "price",
        "cleanliness",
        "staff",
        "ambience",
        "parking",
    }
    comments = [it["comment"] for it in items]
    assert None in comments
    assert any(it["customer_name"] is None for it in items) and any(
        it["customer_email"] is None for it in items
    )
    text = "\n".join(c for c in comments if c)
    for needle in ("<script>alert(1)</script>", "<b>bold</b>", "=HYPERLINK(", "@SUM(A1)"):
        assert needle in text
    assert "+1+1" in comments and "-2" in comments
    assert re.search(r"[\u3040-\u30ff]", text)  # Japanese
    assert all(ch in text for ch in "¡éü")  # Spanish, French, German
    # Older feedback is more often resolved.
    old = [
        it for it in items if now - datetime.fromisoformat(it["created_at"][:-1]).timestamp() > 120 * 86400
    ]
    recent = [it for it in items if it not in old]
    share = lambda xs: sum(it["status"] == "resolved" for it in xs) / len(xs)  # noqa: E731
    assert share(old) > share(recent) + 0.2


def test_seed_data_is_deterministic():
    a = Sandbox(seed=11, clock=lambda: 1_800_000_000.0)
    b = Sandbox(seed=11, clock=lambda: 1_800_000_000.0)
    c = Sandbox(seed=12, clock=lambda: 1_800_000_000.0)
    assert a.ground_truth(BISTRO_EMAIL) == b.ground_truth(BISTRO_EMAIL)
    assert a.ground_truth(BISTRO_EMAIL) != c.ground_truth(BISTRO_EMAIL)
    assert a.add_account("x@y.test", "pw", items=50) == b.add_account("x@y.test", "pw", items=50)


def test_large_account_generation_is_fast():
    sb = Sandbox(accounts=[])
    started = time.perf_counter()
    sb.add_account("big@sandbox.test", "pw", "Big", items=10_000)
    assert time.perf_counter() - started < 1.5  # ~0.2 s; 100k take ~2 s
    items = sb.ground_truth("big@sandbox.test")
    assert len(items) == 10_000 and len({it["id"] for it in items}) == 10_000
    assert [it["created_at"] for it in items] == sorted((it["created_at"] for it in items), reverse=True)


# ------------------------------------------------------------------------ auth
def test_sign_in_answers_a_supabase_session(http, sandbox):
    resp = sign_in(http)
    assert resp.status_code == 200
    body = resp.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["expires_at"] == int(sandbox.now()) + 3600
    assert body["access_token"].count(".") == 2 and body["refresh_token"]
    assert body["user"]["email"] == BISTRO_EMAIL and uuid.UUID(body["user"]["id"])


def test_wrong_password_alternates_error_shapes(http, sandbox):
    first, second = sign_in(http, password="nope"), sign_in(http, password="nope")
    assert first.status_code == second.status_code == 400
    assert first.json() == {
        "code": 400,
        "error_code": "invalid_credentials",
        "msg": "Invalid login credentials",
    }
    assert second.json() == {"error": "invalid_grant", "error_description": "Invalid login credentials"}
    sandbox.configure(credentials_error_shape="old")
    assert sign_in(http, password="nope").json()["error"] == "invalid_grant"
    assert sign_in(http, email="nobody@x.test").json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("apikey", "message"), [(None, "No API key found in request"), ("wrong", "Invalid API key")]
)
def test_missing_or_wrong_apikey_is_401(http, apikey, message):
    resp = sign_in(http, apikey=apikey)
    assert resp.status_code == 401 and resp.json() == {"message": message}


def test_bad_auth_requests(http):
    h = {"apikey": "sandbox-anon-key"}
    assert http.post(TOKEN_URL, params={"grant_type": "magic"}, json={}, headers=h).status_code == 400
    assert http.post(TOKEN_URL, params={"grant_type": "password"}, content=b"{", headers=h).status_code == 400
    assert http.get(TOKEN_URL, headers=h).status_code == 405


def test_refresh_rotates_and_reuse_revokes_the_family(http):
    s1 = sign_in(http).json()
    s2 = refresh(http, s1["refresh_token"]).json()
    assert s2["refresh_token"] != s1["refresh_token"] and s2["access_token"] != s1["access_token"]
    assert list_(http, s2["access_token"]).status_code == 200
    assert list_(http, s1["access_token"]).status_code == 200  # still valid until it expires
    other = sign_in(http).json()  # another, independent session
    reuse = refresh(http, s1["refresh_token"])
    assert reuse.status_code == 400 and reuse.json()["error_code"] == "refresh_token_already_used"
    assert list_(http, s2["access_token"]).status_code == 401  # the family is revoked
    assert list_(http, s1["access_token"]).status_code == 401
    gone = refresh(http, s2["refresh_token"])
    assert gone.status_code == 400 and gone.json()["error"] == "invalid_grant"  # alternate shape
    assert list_(http, other["access_token"]).status_code == 200


def test_unknown_refresh_token(http):
    resp = refresh(http, "never-issued")
    assert resp.status_code == 400 and resp.json()["error_code"] == "refresh_token_not_found"


def test_access_token_expires(http, sandbox):
    tok = token(http)
    sandbox.advance_clock(3599)
    assert list_(http, tok).status_code == 200
    assert http.post("/__sandbox__/clock", json={"advance": 1}).status_code == 200
    resp = list_(http, tok)
    assert resp.status_code == 401 and "X-RateLimit-Remaining" in resp.headers


def test_short_lived_tokens():
    sb = Sandbox(expires_in=5, clock=lambda: 1_800_000_000.0)
    assert sb.sign_in(BISTRO_EMAIL, BISTRO_PASSWORD)["expires_in"] == 5


def test_signin_can_end_other_sessions(http, sandbox):
    first = token(http)
    sandbox.configure(signin_revokes_other_sessions=True)
    second = token(http)
    assert list_(http, first).status_code == 401 and list_(http, second).status_code == 200


def test_auth_rate_limit_token_bucket(http, sandbox):
    sandbox.configure(auth_bucket_capacity=3, auth_refill_per_second=0.5)
    assert [sign_in(http).status_code for _ in range(3)] == [200, 200, 200]
    limited = refresh(http, "whatever")  # refresh draws on the same bucket
    assert limited.status_code == 429 and "Retry-After" not in limited.headers
    assert limited.json()["error_code"] == "over_request_rate_limit"
    sandbox.advance_clock(2)  # one token back
    assert sign_in(http).status_code == 200
    assert sign_in(http).status_code == 429
    sandbox.configure(auth_rate_limit_enabled=False)
    assert all(sign_in(http).status_code == 200 for _ in range(5))
    assert sandbox.get_stats()["auth_429_bucket"] == 2


# --------------------------------------------------------------------- listing
def test_list_defaults_envelope_and_headers(http, sandbox):
    resp = list_(http, token(http))
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    truth = sandbox.ground_truth(BISTRO_EMAIL)
    assert set(body) == {"feedback", "total", "limit", "offset"}
    assert body["total"] == len(truth) and body["limit"] == 20 and body["offset"] == 0
    assert body["feedback"] == truth[:20]
    assert int(resp.headers["X-RateLimit-Remaining"]) > 0 and int(resp.headers["X-RateLimit-Reset"]) <= 60


def test_pagination_walks_every_item_newest_first(http, sandbox):
    tok = token(http)
    seen, offset = [], 0
    while True:
        body = list_(http, tok, limit=100, offset=offset).json()
        seen += body["feedback"]
        offset += 100
        if offset >= body["total"]:
            break
    assert seen == sandbox.ground_truth(BISTRO_EMAIL)
    assert list_(http, tok, limit=100, offset=10_000).json()["feedback"] == []


@pytest.mark.parametrize(
    "params",
    [{"status": "new"}, {"status": "resolved"}, {"sentiment": "negative"}, {"days": 30},
     {"status": "reviewed", "sentiment": "positive", "days": 200}],
)  # fmt: skip
def test_filters(http, sandbox, params):
    now = sandbox.now()

    def keep(it):
        created = datetime.fromisoformat(it["created_at"].replace("Z", "+00:00")).timestamp()
        return (
            it["status"] == params.get("status", it["status"])
            and it["sentiment"] == params.get("sentiment", it["sentiment"])
            and ("days" not in params or created >= now - params["days"] * 86400 - 1)
        )

    expected = [it for it in sandbox.ground_truth(BISTRO_EMAIL) if keep(it)]
    body = list_(http, token(http), limit=100, **params).json()
    assert 0 < body["total"] == len(expected)
    assert body["feedback"] == expected[:100]


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 101}, {"limit": "abc"}, {"limit": ""}, {"offset": -1}, {"offset": "x"},
     {"status": "open"}, {"sentiment": "happy"}, {"days": 0}, {"days": "week"}],
)  # fmt: skip
def test_invalid_list_parameters_are_400(http, params):
    resp = list_(http, token(http), **params)
    assert resp.status_code == 400 and isinstance(resp.json()["error"], str)


def test_limit_bounds_accepted(http):
    tok = token(http)
    assert len(list_(http, tok, limit=1).json()["feedback"]) == 1
    assert len(list_(http, tok, limit=100).json()["feedback"]) == 100


def test_api_rejects_missing_or_bad_tokens(http):
    assert http.get("/api/feedback").status_code == 401
    assert http.get("/api/feedback", headers=bearer("garbage")).status_code == 401
    assert http.get("/api/nothing", headers=bearer(token(http))).status_code == 404
    assert http.delete("/api/feedback", headers=bearer(token(http))).status_code == 405


# ---------------------------------------------------------------------- create
def test_create_feedback(http, sandbox):
    tok = token(http)
    before = list_(http, tok).json()["total"]
    resp = http.post(
        "/api/feedback",
        headers=bearer(tok),
        json={"customer_name": "Jane Smith", "customer_email": "jane@email.com", "customer_phone": "555-1234",
              "rating": 5, "comment": "Amazing experience! Friendly staff.", "source": "pos_integration"},
    )  # fmt: skip
    assert resp.status_code == 201
    item = resp.json()
    assert item["rating"] == 5 and item["status"] == "new" and item["sentiment"] in ("positive", "neutral")
    assert item["source"] == "pos_integration" and "staff" in item["themes"]
    listed = list_(http, tok).json()
    assert listed["total"] == before + 1 and listed["feedback"][0] == item
    minimal = http.post("/api/feedback", headers=bearer(tok), json={"rating": 1}).json()
    assert minimal["customer_name"] is None and minimal["comment"] is None
    assert sandbox.ground_truth(BISTRO_EMAIL)[0] == minimal


@pytest.mark.parametrize(
    "body",
    [{}, {"rating": 0}, {"rating": 6}, {"rating": "5"}, {"rating": True}, {"rating": 4.5}, [1],
     {"rating": 3, "customer_name": "x" * 201}, {"rating": 3, "comment": 5},
     {"rating": 3, "customer_email": "nope"}],
)  # fmt: skip
def test_create_validation_errors(http, body):
    resp = http.post("/api/feedback", headers=bearer(token(http)), json=body)
    assert resp.status_code == 400 and resp.json()["error"]


def test_create_rejects_non_json(http):
    resp = http.post("/api/feedback", headers=bearer(token(http)), content=b"rating=5")
    assert resp.status_code == 400


# ----------------------------------------------------------------- control API
def test_control_api_roundtrip(http, sandbox):
    overview = http.get("/__sandbox__/").json()
    assert overview["anon_key"] == "sandbox-anon-key" and overview["accounts"] == sandbox.list_accounts()

    created = http.post(
        "/__sandbox__/accounts",
        json={"email": "New@Shop.test", "password": "pw", "name": "Shop", "items": 50},
    )
    assert created.status_code == 201 and created.json()["items"] == 50
    assert (
        http.post("/__sandbox__/accounts", json={"email": "new@shop.test", "password": "x"}).status_code
        == 409
    )
    tok = token(http, "new@shop.test", "pw")
    truth = http.get("/__sandbox__/items", params={"email": "new@shop.test"}).json()["items"]
    assert len(truth) == 50 and list_(http, tok, limit=100).json()["feedback"] == truth

    added = http.post("/__sandbox__/items", json={"email": "new@shop.test", "count": 3}).json()["added"]
    explicit = http.post(
        "/__sandbox__/items",
        json={
            "email": "new@shop.test",
            "items": [{"rating": 2, "comment": "explicit", "created_at": "2020-01-01T00:00:00Z"}],
        },
    ).json()["added"]
    body = list_(http, tok, limit=100).json()
    assert body["total"] == 54 and [it["id"] for it in body["feedback"][:3]] == added[::-1]
    assert body["feedback"][-1]["id"] == explicit[0] and body["feedback"][-1]["comment"] == "explicit"
    assert body["feedback"][0]["status"] == "new"

    changed = http.post(
        "/__sandbox__/items/status", json={"email": "new@shop.test", "ids": added[:2], "status": "resolved"}
    )
    assert changed.json()["changed"] == added[:2]
    assert [it["status"] for it in sandbox.ground_truth("new@shop.test")[1:3]] == ["resolved", "resolved"]
    advanced = http.post("/__sandbox__/items/status", json={"email": "new@shop.test", "advance": 5}).json()[
        "changed"
    ]
    assert len(advanced) == 5

    removed = http.post(
        "/__sandbox__/items/remove", json={"email": "new@shop.test", "ids": [added[0], "nope"]}
    )
    assert removed.json()["removed"] == [added[0]]
    assert list_(http, tok).json()["total"] == 53

    injected = http.post("/__sandbox__/items/malformed", json={"email": "new@shop.test"}).json()["injected"]
    assert len(injected) == 3
    page = list_(http, tok, limit=3).json()
    assert page["total"] == 56
    assert "id" not in page["feedback"][2] and {page["feedback"][1]["rating"]} <= {0, 7}
    assert page["feedback"][0]["sentiment"] == "ecstatic"
    assert len(http.get("/__sandbox__/items", params={"email": "new@shop.test"}).json()["items"]) == 53
    with_bad = http.get(
        "/__sandbox__/items", params={"email": "new@shop.test", "include_malformed": "1"}
    ).json()
    assert len(with_bad["items"]) == 56
    http.post("/__sandbox__/items/remove", json={"email": "new@shop.test", "ids": injected})
    assert list_(http, tok).json()["total"] == 53

    assert http.post("/__sandbox__/faults", json={"api_5xx_next": 2}).json()["api_5xx_next"] == 2
    assert http.get("/__sandbox__/faults").json()["api_5xx_next"] == 2
    assert http.post("/__sandbox__/faults/clear").json()["api_5xx_next"] == 0
    assert (
        http.post("/__sandbox__/config", json={"reset_format": "timestamp"}).json()["reset_format"]
        == "timestamp"
    )
    assert http.get("/__sandbox__/config").json()["reset_format"] == "timestamp"
    assert http.post("/__sandbox__/sessions/revoke", json={"email": "new@shop.test"}).json()["revoked"] >= 1
    assert list_(http, tok).status_code == 401
    stats = http.get("/__sandbox__/stats").json()
    assert stats["sign_ins"] >= 1 and stats["api_list"] >= 5

    assert http.post("/__sandbox__/reset").json() == {"reset": True}
    assert http.get("/__sandbox__/items", params={"email": "new@shop.test"}).status_code == 404
    assert sandbox.config.reset_format == "seconds"


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/__sandbox__/faults", {"nope": 1}, 400),
        ("/__sandbox__/faults", {"api_5xx_probability": 2}, 400),
        ("/__sandbox__/faults", {"malformed_kind": "weird"}, 400),
        ("/__sandbox__/config", {"api_rate_scope": "planet"}, 400),
        ("/__sandbox__/items", {"email": "ghost@x.test", "count": 1}, 404),
        ("/__sandbox__/items", {"email": BISTRO_EMAIL, "items": [{"rating": 9}]}, 400),
        ("/__sandbox__/items/status", {"email": BISTRO_EMAIL, "ids": ["x"], "status": "done"}, 400),
        ("/__sandbox__/items/malformed", {"email": BISTRO_EMAIL, "kinds": ["boom"]}, 400),
        ("/__sandbox__/accounts", {"email": "x"}, 400),
        ("/__sandbox__/accounts", {"email": "a@b.test", "password": "p", "colour": "red"}, 400),
        ("/__sandbox__/nothing", {}, 404),
    ],
)
def test_control_api_errors(http, path, body, status):
    resp = http.post(path, json=body)
    assert resp.status_code == status and resp.json()["error"]


def test_python_control_methods(sandbox):
    with pytest.raises(SandboxError):
        sandbox.set_faults(api_5xx_next=-1)
    ids = sandbox.add_items(BISTRO_EMAIL, count=2)
    assert sandbox.set_status(BISTRO_EMAIL, ids, "reviewed") == ids
    assert sandbox.set_status(BISTRO_EMAIL, ids, "reviewed") == []  # unchanged
    assert sandbox.remove_items(BISTRO_EMAIL, ids) == ids
    keys = sandbox.inject_malformed(
        BISTRO_EMAIL, ["not_an_object", "bad_created_at", "rating_not_int", "bad_id"]
    )
    listed = sandbox.ground_truth(BISTRO_EMAIL, include_malformed=True)[:4]
    assert isinstance(listed[0], dict) and isinstance(listed[3], str)
    assert len(keys) == 4 and sandbox.remove_items(BISTRO_EMAIL, keys) == keys


# ---------------------------------------------------------------------- faults
def test_fault_429_burst(http, sandbox):
    tok = token(http)
    sandbox.set_faults(api_429_next=2, api_429_retry_after=3)
    answers = [list_(http, tok) for _ in range(3)]
    assert [r.status_code for r in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "3" and "X-RateLimit-Reset" in answers[0].headers
    sandbox.set_faults(api_429_next=1, api_429_retry_after=None)
    assert "Retry-After" not in list_(http, tok).headers


def test_fault_5xx_count_and_probability(http, sandbox):
    tok = token(http)
    sandbox.set_faults(api_5xx_next=2, api_5xx_status=502)
    assert [list_(http, tok).status_code for _ in range(3)] == [502, 502, 200]
    sandbox.set_faults(api_5xx_probability=1.0, api_5xx_status=503)
    assert list_(http, tok).status_code == 503


def test_fault_probability_is_deterministic():
    def run() -> list[int]:
        sb = Sandbox(seed=5, accounts=[("a@b.test", "pw", "A", 5)], clock=lambda: 1_800_000_000.0)
        with SandboxServer(sb) as srv, httpx.Client(base_url=srv.url) as http:
            tok = token(http, "a@b.test", "pw")
            sb.set_faults(api_5xx_probability=0.5)
            return [list_(http, tok).status_code for _ in range(20)]

    first = run()
    assert first == run() and {500 + 3, 200} == set(first)


def test_fault_slow_answers(http, sandbox):
    tok = token(http)
    sandbox.set_faults(slow_ms=150, slow_next=1)
    started = time.perf_counter()
    assert list_(http, tok).status_code == 200
    assert time.perf_counter() - started >= 0.15
    assert list_(http, tok).status_code == 200
    assert sandbox.get_stats()["slow_fault"] == 1 and sandbox.faults.slow_next == 0


@pytest.mark.parametrize("kind", ["truncated", "html", "envelope", "empty"])
def test_fault_malformed_bodies(http, sandbox, kind):
    tok = token(http)
    sandbox.set_faults(malformed_next=1, malformed_kind=kind)
    bad = list_(http, tok)
    assert bad.status_code == 200
    try:
        parsed = bad.json()
    except ValueError:
        parsed = None
    assert not (isinstance(parsed, dict) and isinstance(parsed.get("feedback"), list))
    assert list_(http, tok).json()["feedback"]


def test_fault_drift_while_paging(http, sandbox):
    tok = token(http)
    first = list_(http, tok, limit=10).json()
    sandbox.set_faults(drift_per_request=3)
    second = list_(http, tok, limit=10, offset=10).json()
    assert second["total"] == first["total"] + 3
    assert second["feedback"][:3] == first["feedback"][7:10]  # shifted: seen twice
    assert sandbox.get_stats()["drift_items"] == 3


def test_fault_status_changes_over_time(http, sandbox):
    tok = token(http)
    before = {it["id"]: it["status"] for it in sandbox.ground_truth(BISTRO_EMAIL)}
    sandbox.set_faults(status_changes_per_request=4)
    list_(http, tok)
    after = {it["id"]: it["status"] for it in sandbox.ground_truth(BISTRO_EMAIL)}
    changed = [i for i in before if before[i] != after[i]]
    assert len(changed) == 4
    assert all((before[i], after[i]) in {("new", "reviewed"), ("reviewed", "resolved")} for i in changed)


def test_fault_auth_5xx(http, sandbox):
    sandbox.set_faults(auth_5xx_next=1)
    assert sign_in(http).status_code == 503
    assert sign_in(http).status_code == 200


def test_fault_auth_429(http, sandbox):
    sandbox.set_faults(auth_429_next=1)
    first = sign_in(http)
    assert first.status_code == 429 and first.json()["error_code"] == "over_request_rate_limit"
    assert "Retry-After" not in first.headers
    assert sign_in(http).status_code == 200


def test_faults_combine(http, sandbox):
    tok = token(http)
    sandbox.set_faults(api_429_next=1, api_5xx_next=1, malformed_next=1, drift_per_request=1)
    codes = [list_(http, tok) for _ in range(4)]
    assert [r.status_code for r in codes] == [429, 503, 200, 200]
    with pytest.raises(ValueError):
        codes[2].json()
    assert codes[3].json()["total"] == len(sandbox.ground_truth(BISTRO_EMAIL))


# ------------------------------------------------------------ API rate limit
@pytest.mark.parametrize("reset_format", ["seconds", "timestamp"])
def test_api_rate_limit_window(http, sandbox, reset_format):
    sandbox.configure(api_rate_limit=2, api_rate_window=30, reset_format=reset_format)
    tok = token(http)
    a, b, c = list_(http, tok), list_(http, tok), list_(http, tok)
    assert (a.headers["X-RateLimit-Remaining"], b.headers["X-RateLimit-Remaining"]) == ("1", "0")
    reset = int(b.headers["X-RateLimit-Reset"])
    if reset_format == "seconds":
        assert reset == 30
    else:
        assert reset == int(sandbox.now()) + 30 or reset == int(sandbox.now()) + 31
    assert c.status_code == 429 and int(c.headers["Retry-After"]) == 30
    sandbox.advance_clock(30)
    assert list_(http, tok).headers["X-RateLimit-Remaining"] == "1"


def test_api_rate_limit_scope(http, sandbox):
    sandbox.configure(api_rate_limit=5, api_rate_scope="token")
    one, two = token(http), token(http)
    list_(http, one)
    assert list_(http, two).headers["X-RateLimit-Remaining"] == "4"
    sandbox.configure(api_rate_scope="account")
    list_(http, one)
    assert list_(http, two).headers["X-RateLimit-Remaining"] == "3"


# ------------------------------------------------------ switches: helpers
FIXED_NOW = 1_800_000_000.0
STATUS_ORDER = ("new", "reviewed", "resolved")


@contextlib.contextmanager
def started(seed=5, items=120, **switches):
    """A sandbox with one account ``a@b.test`` (password ``pw``) on a fixed clock,
    started with ``switches``, and an httpx client on it."""
    sb = Sandbox(seed=seed, accounts=[("a@b.test", "pw", "A", items)], clock=lambda: FIXED_NOW, **switches)
    with SandboxServer(sb) as srv, httpx.Client(base_url=srv.url, timeout=5.0) as http:
        yield sb, http


def stats_of(http: httpx.Client, email=BISTRO_EMAIL) -> dict[str, int]:
    resp = http.get("/__sandbox__/stats", params={"email": email})
    assert resp.status_code == 200, resp.text
    return resp.json()


def truth(http: httpx.Client, email=BISTRO_EMAIL) -> dict:
    return http.get("/__sandbox__/items", params={"email": email}).json()


def jwt_claims(access_token: str) -> dict:
    part = access_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


# ----------------------------------------------- switch: token lifetime
def test_token_lifetime_switch(http, sandbox):
    changes = {"expires_in": 10, "credentials_error_shape": "new"}
    assert http.post("/__sandbox__/config", json=changes).json()["expires_in"] == 10
    issued = sandbox.now()
    session = sign_in(http).json()
    assert session["expires_in"] == 10 and session["expires_at"] == int(issued) + 10
    assert jwt_claims(session["access_token"])["exp"] == session["expires_at"]
    sandbox.advance_clock(9.9)
    assert list_(http, session["access_token"]).status_code == 200
    sandbox.advance_clock(0.1)
    expired = list_(http, session["access_token"])
    assert expired.status_code == 401 and expired.json()["message"] == "Invalid or expired token"
    renewed = refresh(http, session["refresh_token"]).json()
    assert renewed["expires_in"] == 10 and list_(http, renewed["access_token"]).status_code == 200
    reused = refresh(http, session["refresh_token"])  # single use: refused, and the session ends
    assert reused.status_code == 400 and reused.json()["error_code"] == "refresh_token_already_used"
    assert list_(http, renewed["access_token"]).status_code == 401  # revoked, not expired
    counts = stats_of(http)
    assert (counts["api_401"], counts["api_401_expired"]) == (2, 1)
    assert (counts["refreshes"], counts["refresh_failures"], counts["families_revoked_on_reuse"]) == (1, 1, 1)


def test_token_lifetime_at_start_up_and_its_bounds(http):
    with started(expires_in=10) as (sb, c):
        session = sign_in(c, "a@b.test", "pw").json()
        assert session["expires_in"] == 10 and session["expires_at"] == int(FIXED_NOW) + 10
        sb.advance_clock(10)
        assert list_(c, session["access_token"]).status_code == 401
        assert stats_of(c, "a@b.test")["api_401_expired"] == 1
    for bad in (0, -5, "10", None):
        assert http.post("/__sandbox__/config", json={"expires_in": bad}).status_code == 400
    with pytest.raises(SandboxError):
        Sandbox(accounts=[], expires_in=0)


# --------------------------------------------------- switch: clock skew
@pytest.mark.parametrize("skew", [-300, 45.5])
def test_clock_skew_moves_expires_at_but_not_expiry(http, sandbox, skew):
    assert http.post("/__sandbox__/config", json={"clock_skew": skew, "expires_in": 60}).status_code == 200
    now = sandbox.now()
    session = sign_in(http).json()
    assert session["expires_in"] == 60 and session["expires_at"] == int(now + skew) + 60
    claims = jwt_claims(session["access_token"])
    assert (claims["iat"], claims["exp"]) == (int(now + skew), session["expires_at"])
    sandbox.advance_clock(59)  # with skew -300, expires_at is long past: the token still works
    assert list_(http, session["access_token"]).status_code == 200
    sandbox.advance_clock(1)
    assert list_(http, session["access_token"]).status_code == 401
    renewed = refresh(http, session["refresh_token"]).json()
    assert renewed["expires_in"] == 60 and renewed["expires_at"] == int(sandbox.now() + skew) + 60


def test_clock_skew_at_start_up():
    with started(clock_skew=-90, expires_in=30) as (sb, c):
        session = sign_in(c, "a@b.test", "pw").json()
        assert session["expires_at"] == int(FIXED_NOW) - 90 + 30
        assert c.get("/__sandbox__/config").json()["clock_skew"] == -90
        sb.advance_clock(29)
        assert list_(c, session["access_token"]).status_code == 200


# ------------------------------------------------- switch: 429 bursts
def test_repeating_429_bursts(http, sandbox):
    tok = token(http)
    body = {"api_429_every": 3, "api_429_burst": 2, "api_429_retry_after": 2}
    assert http.post("/__sandbox__/faults", json=body).json()["api_429_every"] == 3
    answers = [list_(http, tok) for _ in range(10)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429, 429] * 2
    assert {r.headers["Retry-After"] for r in answers if r.status_code == 429} == {"2"}
    assert all("X-RateLimit-Remaining" in r.headers for r in answers)
    sandbox.set_faults(api_429_next=1)  # a one-off burst goes first and leaves the cycle alone
    assert [list_(http, tok).status_code for _ in range(5)] == [429, 200, 200, 200, 429]
    http.post("/__sandbox__/faults", json={"api_429_burst": 1})  # restarts the cycle
    assert [list_(http, tok).status_code for _ in range(8)] == [200, 200, 200, 429] * 2
    http.post("/__sandbox__/faults/clear")
    assert all(list_(http, tok).status_code == 200 for _ in range(5))
    counts = stats_of(http)
    assert (counts["api_429_fault"], counts["api_429_limit"], counts["api_requests"]) == (8, 0, 28)


def test_repeating_429_bursts_at_start_up():
    with started(api_429_every=1, api_429_burst=2, api_429_retry_after=None) as (_sb, c):
        tok = token(c, "a@b.test", "pw")
        answers = [list_(c, tok) for _ in range(6)]
        assert [r.status_code for r in answers] == [200, 429, 429] * 2
        assert not any("Retry-After" in r.headers for r in answers)


def test_retry_after_as_http_date(http, sandbox):
    tok = token(http)
    http.post("/__sandbox__/config", json={"retry_after_format": "date"})
    sandbox.set_faults(api_429_next=1, api_429_retry_after=2.5)
    resp = list_(http, tok)
    assert resp.status_code == 429
    assert parsedate_to_datetime(resp.headers["Retry-After"]).timestamp() == math.ceil(sandbox.now() + 2.5)


# ------------------------------------------------ switch: request quota
def test_request_quota_switch(http, sandbox):
    http.post("/__sandbox__/config", json={"api_rate_limit": 3, "api_rate_window": 20})
    tok = token(http)
    answers = [list_(http, tok) for _ in range(5)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in answers] == ["2", "1", "0", "0", "0"]
    assert answers[2].headers["X-RateLimit-Reset"] == "20" and answers[3].headers["Retry-After"] == "20"
    sandbox.advance_clock(12)
    late = list_(http, tok)  # still spent: 429 until the reset
    assert late.status_code == 429 and late.headers["X-RateLimit-Reset"] == late.headers["Retry-After"] == "8"
    sandbox.advance_clock(8)
    assert list_(http, tok).headers["X-RateLimit-Remaining"] == "2"
    http.post("/__sandbox__/config", json={"api_rate_retry_after": False})
    list_(http, tok), list_(http, tok)
    quiet = list_(http, tok)
    assert quiet.status_code == 429 and "Retry-After" not in quiet.headers
    counts = stats_of(http)
    assert (counts["api_429_limit"], counts["api_429_fault"], counts["api_list"]) == (4, 0, 6)


def test_request_quota_at_start_up_with_timestamp_reset():
    with started(api_rate_limit=1, api_rate_window=30, reset_format="timestamp") as (sb, c):
        tok = token(c, "a@b.test", "pw")
        first, second = list_(c, tok), list_(c, tok)
        assert first.status_code == 200 and first.headers["X-RateLimit-Remaining"] == "0"
        assert first.headers["X-RateLimit-Reset"] == str(int(FIXED_NOW) + 30)
        assert second.status_code == 429 and second.headers["Retry-After"] == "30"
        sb.advance_clock(30)
        assert list_(c, tok).status_code == 200


# ---------------------------------------------- switch: drift while paging
def test_drift_while_paging_keeps_ground_truth_exact(http, sandbox):
    tok = token(http)
    initial = {it["id"]: it["status"] for it in sandbox.ground_truth(BISTRO_EMAIL)}
    body = {"drift_per_request": 2, "drift_remove_per_request": 1, "status_changes_per_request": 3}
    http.post("/__sandbox__/faults", json=body)
    offset = pages = 0
    while True:
        page = list_(http, tok, limit=50, offset=offset).json()
        now = truth(http)
        pages += 1
        assert page["total"] == len(now["items"])  # the page shows the drifted state ...
        assert page["feedback"] == now["items"][offset : offset + 50]  # ... exactly as the truth does
        assert len(now["removed"]) == pages
        assert set(now["removed"]).isdisjoint(it["id"] for it in now["items"])
        offset += 50
        if offset >= page["total"]:
            break
    final = {it["id"]: it["status"] for it in now["items"]}
    assert len(final) == len(initial) + 2 * pages - pages
    assert len(set(final) - set(initial)) >= pages  # added; a few may have been removed again
    changed = [i for i in final if i in initial and final[i] != initial[i]]
    assert changed and all(STATUS_ORDER.index(final[i]) > STATUS_ORDER.index(initial[i]) for i in changed)
    counts = stats_of(http)
    assert (counts["drift_items"], counts["drift_removed"], counts["status_changes"]) == (
        2 * pages,
        pages,
        3 * pages,
    )
    assert counts["api_list"] == pages


def test_drift_is_deterministic_with_the_seed():
    def run(seed: int) -> dict:
        switches = {"drift_per_request": 1, "drift_remove_per_request": 2, "status_changes_per_request": 2}
        with started(seed=seed, **switches) as (_sb, c):
            tok = token(c, "a@b.test", "pw")
            for offset in (0, 20, 40, 60):
                list_(c, tok, limit=20, offset=offset)
            return truth(c, "a@b.test")

    first = run(5)
    assert len(first["removed"]) == 8 and len(first["items"]) == 120 - 8 + 4
    assert run(5) == first and run(6) != first


def test_drift_every_nth_page(http, sandbox):
    tok = token(http)
    http.post("/__sandbox__/faults", json={"drift_per_request": 1, "drift_every": 3})
    totals = [list_(http, tok, limit=5, offset=5 * i).json()["total"] for i in range(7)]
    assert [t - totals[0] for t in totals] == [0, 0, 1, 1, 1, 2, 2]
    assert stats_of(http)["drift_items"] == 2


def test_drift_on_served_items_makes_a_walk_skip(http, sandbox):
    tok = token(http)
    sandbox.set_faults(drift_remove_per_request=2, status_changes_per_request=2, drift_target="served")
    seen: list[str] = []
    offset = 0
    while True:
        before = {it["id"]: it["status"] for it in sandbox.ground_truth(BISTRO_EMAIL)}
        removed_before = set(sandbox.removed_ids(BISTRO_EMAIL))
        page = list_(http, tok, limit=25, offset=offset).json()
        after = {it["id"]: it["status"] for it in sandbox.ground_truth(BISTRO_EMAIL)}
        served = set(list(before)[:offset])  # the listing before this page's offset
        removed_now = set(sandbox.removed_ids(BISTRO_EMAIL)) - removed_before
        changed_now = {i for i in after if after[i] != before[i]}
        assert len(removed_now) == (2 if offset else 0) and removed_now <= served
        assert len(changed_now) == (2 if offset else 0) and changed_now <= served
        seen += [it["id"] for it in page["feedback"]]
        offset += 25
        if offset >= page["total"]:
            break
    final = {it["id"] for it in sandbox.ground_truth(BISTRO_EMAIL)}
    removed = set(sandbox.removed_ids(BISTRO_EMAIL))
    missed = final - set(seen)
    assert len(seen) == len(set(seen))  # removals only shift items back: none is served twice
    # Each removal before the offset shifts one unseen item behind it; that item is
    # either still there (missed by the walk) or was removed later.
    assert missed and len(missed) + len(removed - set(seen)) == len(removed)


def test_removed_ids_are_ground_truth_until_added_back(http, sandbox):
    item = sandbox.ground_truth(BISTRO_EMAIL)[3]
    http.post("/__sandbox__/items/remove", json={"email": BISTRO_EMAIL, "ids": [item["id"]]})
    assert truth(http)["removed"] == [item["id"]]
    sandbox.add_items(BISTRO_EMAIL, items=[item])
    assert truth(http)["removed"] == [] and sandbox.ground_truth(BISTRO_EMAIL)[3] == item


# ------------------------------------------------------------ counters
def test_counters_per_account(http, sandbox):
    sandbox.configure(expires_in=100, auth_bucket_capacity=4, auth_refill_per_second=0)
    first = sign_in(http).json()
    assert sign_in(http).status_code == 200  # while the first session is live
    sandbox.advance_clock(90)
    on_time = refresh(http, first["refresh_token"]).json()  # 10% of the lifetime left
    early = refresh(http, on_time["refresh_token"]).json()  # right away again: too early
    sandbox.set_faults(auth_429_next=1)
    assert sign_in(http).status_code == 429  # injected
    assert sign_in(http, password="nope").status_code == 429  # provoked: the bucket is empty
    tok = early["access_token"]
    assert list_(http, tok).status_code == 200
    assert http.post("/api/feedback", headers=bearer(tok), json={"rating": 5}).status_code == 201
    sandbox.advance_clock(100)
    assert list_(http, tok).status_code == 401
    assert list_(http, "garbage").status_code == 401  # names no account: totals only

    counts = stats_of(http)
    assert set(counts) == set(COUNTERS)
    assert {k: v for k, v in counts.items() if v} == {
        "auth_requests": 6,
        "sign_ins": 2,
        "sign_ins_while_live": 1,
        "refreshes": 2,
        "refreshes_before_half_life": 1,
        "auth_429_fault": 1,
        "auth_429_bucket": 1,
        "api_requests": 3,
        "api_list": 1,
        "api_create": 1,
        "api_401": 1,
        "api_401_expired": 1,
    }
    totals = http.get("/__sandbox__/stats").json()
    assert totals["api_401"] == 2 and totals["api_requests"] == 4 and "api_429_limit" not in totals
    everyone = http.get("/__sandbox__/stats/accounts").json()
    assert set(everyone) == {a["email"] for a in sandbox.list_accounts()}
    other = DEMO_ACCOUNTS[1][0]
    assert everyone[BISTRO_EMAIL] == counts and not any(everyone[other].values())
    assert http.get("/__sandbox__/").json()["stats"] == totals
    assert http.get("/__sandbox__/stats", params={"email": "ghost@x.test"}).status_code == 404

    assert http.post("/__sandbox__/stats/reset", json={"email": BISTRO_EMAIL}).json() == {"reset": True}
    assert not any(stats_of(http).values()) and http.get("/__sandbox__/stats").json() == totals
    http.post("/__sandbox__/stats/reset")
    assert http.get("/__sandbox__/stats").json() == {}


def test_counters_attribute_auth_faults_to_the_account(http, sandbox):
    other, other_pw, _ = DEMO_ACCOUNTS[1]
    session = sign_in(http, other, other_pw).json()
    sandbox.set_faults(auth_5xx_next=1, auth_429_next=1)
    assert refresh(http, session["refresh_token"]).status_code == 503
    assert refresh(http, session["refresh_token"]).status_code == 429
    assert sign_in(http, other, "wrong").status_code == 400
    counts = stats_of(http, other)
    assert (counts["auth_5xx_fault"], counts["auth_429_fault"], counts["auth_429_bucket"]) == (1, 1, 0)
    assert (counts["auth_requests"], counts["sign_ins"], counts["sign_in_failures"]) == (4, 1, 1)
    assert not any(stats_of(http).values())


# --------------------------------------------------------- start-up switches
def test_start_up_switches_and_validation():
    sb = Sandbox(accounts=[], expires_in=10, clock_skew=-5, api_429_every=4, drift_target="served")
    assert (sb.config.expires_in, sb.config.clock_skew) == (10, -5)
    assert (sb.faults.api_429_every, sb.faults.drift_target) == (4, "served")
    sb.clear_faults()
    assert (sb.faults.api_429_every, sb.faults.drift_target) == (0, "any")
    sb.reset()  # back to the start-up switches
    assert (sb.faults.api_429_every, sb.faults.drift_target) == (4, "served")
    bad = [{"nope": 1}, {"clock_skew": "x"}, {"drift_every": 0}, {"drift_target": "all"},
           {"retry_after_format": "http"}, {"api_429_burst": -1}, {"api_rate_window": 0}]  # fmt: skip
    for switches in bad:
        with pytest.raises(SandboxError):
            Sandbox(accounts=[], **switches)
        with pytest.raises(SandboxError):
            check_switches(switches)


def test_switch_changes_are_all_or_nothing(http, sandbox):
    resp = http.post("/__sandbox__/faults", json={"api_429_every": 5, "drift_every": 0})
    assert resp.status_code == 400 and sandbox.faults.api_429_every == 0
    resp = http.post("/__sandbox__/config", json={"expires_in": 10, "clock_skew": "soon"})
    assert resp.status_code == 400 and sandbox.config.expires_in == 3600


# ----------------------------------------------------------- server plumbing
def test_concurrent_clients(server, sandbox):
    errors: list[BaseException] = []

    def worker():
        try:
            with httpx.Client(base_url=server.url) as http:
                tok = token(http)
                for i in range(10):
                    assert list_(http, tok, offset=i * 20).status_code == 200
                    assert (
                        http.post("/api/feedback", headers=bearer(tok), json={"rating": 4}).status_code == 201
                    )
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sandbox.get_stats()["api_create"] == 40


def test_server_urls_and_stop():
    with SandboxServer(Sandbox(accounts=[])) as srv:
        assert srv.url == f"http://127.0.0.1:{srv.port}" and srv.api_url == srv.url + "/api"
        assert srv.auth_url == srv.url and srv.anon_key == "sandbox-anon-key"
        with httpx.Client() as http:
            assert http.get(srv.url + "/__sandbox__/").status_code == 200
    with pytest.raises(httpx.ConnectError), httpx.Client() as http:
        http.get(srv.url + "/__sandbox__/")


def test_serve_runs_in_the_foreground_until_stopped():
    ready: list[SandboxServer] = []
    started = threading.Event()

    def on_ready(srv: SandboxServer) -> None:
        ready.append(srv)
        started.set()

    kwargs = {"port": 0, "seed": 3, "on_ready": on_ready, "clock_skew": -12, "api_429_every": 7}
    thread = threading.Thread(target=serve, kwargs=kwargs, daemon=True)
    thread.start()
    assert started.wait(5)
    srv = ready[0]
    with httpx.Client() as http:
        assert http.get(srv.url + "/__sandbox__/accounts").json()["accounts"][0]["email"] == BISTRO_EMAIL
        overview = http.get(srv.url + "/__sandbox__/").json()
        assert overview["config"]["clock_skew"] == -12 and overview["faults"]["api_429_every"] == 7
    srv.stop()
    thread.join(5)
    assert not thread.is_alive()


def test_management_command_is_thin(monkeypatch):
    pytest.importorskip("django")
    from clients.management.commands import pulseback_sandbox

    calls = []
    monkeypatch.setattr(pulseback_sandbox, "serve", lambda *a, **kw: calls.append((a, kw)))
    cmd = pulseback_sandbox.Command()
    parser = cmd.create_parser("manage.py", "pulseback_sandbox")
    options = vars(parser.parse_args(["--port", "9999", "--seed", "4", "--expires-in", "60"]))
    cmd.execute(**options)
    assert calls == [((), {"host": "127.0.0.1", "port": 9999, "seed": 4, "expires_in": 60})]


def test_management_command_passes_start_up_switches(monkeypatch):
    pytest.importorskip("django")
    from django.core.management.base import CommandError

    from clients.management.commands import pulseback_sandbox

    calls = []
    monkeypatch.setattr(pulseback_sandbox, "serve", lambda *a, **kw: calls.append(kw))
    cmd = pulseback_sandbox.Command()
    parser = cmd.create_parser("manage.py", "pulseback_sandbox")
    args = ["--expires-in", "10", "--switch", "clock_skew=-30", "--switch", "drift_target=served",
            "--switch", "api_429_retry_after=null", "--switch", "api_rate_retry_after=false"]  # fmt: skip
    cmd.execute(**vars(parser.parse_args(args)))
    assert calls[0]["expires_in"] == 10 and calls[0]["clock_skew"] == -30
    assert calls[0]["drift_target"] == "served" and calls[0]["api_429_retry_after"] is None
    assert calls[0]["api_rate_retry_after"] is False
    for bad in ("nope=1", "clock_skew", "drift_every=0", "expires_in=5"):
        with pytest.raises(CommandError):
            cmd.execute(**vars(parser.parse_args(["--switch", bad])))
    assert len(calls) == 1

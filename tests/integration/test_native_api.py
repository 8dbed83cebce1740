"""The team's native contract: POST /api/v1/errors and /batch, grouped like SDK events."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from tests.support import LiveServer, wait_for

PY_TRACE = """Traceback (most recent call last):
  File "/srv/app/releases/{rel}/shop/api.py", line {line}, in handle
    return pay(order)
  File "/srv/app/releases/{rel}/shop/payments.py", line 20, in pay
    raise ConnectionError("gateway timed out after 30s")
ConnectionError: gateway timed out after 30s
"""


def _key(server: LiveServer) -> dict[str, str]:
    return {"X-Faultbox-Key": server.project.public_key or ""}


def test_native_error_is_stored_and_grouped_across_releases(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    ids = []
    for rel, line in (("101", 10), ("102", 14)):
        body = {
            "errorCode": "PAYMENT_GATEWAY",
            "errorType": "ConnectionError",
            "message": "gateway timed out after 30s",
            "stackTrace": PY_TRACE.format(rel=rel, line=line),
            "serviceName": "shop-backend",
            "environment": "production",
            "severity": "critical",
            "userId": "u-7",
            "requestUrl": "https://shop.example.com/checkout",
            "requestMethod": "POST",
            "requestHeaders": {"Authorization": "Bearer abc", "Accept": "json"},
            "requestBody": {"card": "4111 1111 1111 1111", "password": "hunter2"},
            "occurredAt": "2026-11-20T10:00:00Z",
        }
        response = server.post(
            "/api/v1/errors", orjson.dumps(body), {**_key(server), "X-App-Id": "shop"}
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["success"] is True and len(answer["id"]) == 32
        ids.append(answer["id"])
    server.wait_events(2)
    issues = server.issues()
    assert len(issues) == 1 and issues[0]["count"] == 2
    assert issues[0]["level"] == "fatal"
    assert "payments" in issues[0]["culprit"]
    event = server.api_json(f"/api/v1/events/{ids[0]}")
    assert event["tags"]["error_code"] == "PAYMENT_GATEWAY"
    assert event["tags"]["app_id"] == "shop"
    assert event["service"] == "shop-backend"
    assert event["request"]["headers"]["Authorization"] == "[Filtered]"
    assert event["request"]["data"]["password"] == "[Filtered]"
    assert "4111" not in orjson.dumps(event).decode()
    assert [f["function"] for f in event["exceptions"][-1]["frames"]] == ["handle", "pay"]
    assert server.issues(service="shop-backend") and not server.issues(service="other")


def test_batch_reports_per_item_results(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    good = {
        "errorCode": "E1",
        "errorType": "TypeError",
        "message": "x is undefined",
        "sourceType": "frontend_web",
    }
    bad = {"errorCode": "E2", "message": "no type"}
    response = server.post(
        "/api/v1/errors/batch", orjson.dumps({"errors": [good, bad, good]}), _key(server)
    )
    assert response.status_code == 200
    answer = response.json()
    assert (answer["success"], answer["total"], answer["succeeded"], answer["failed"]) == (
        True,
        3,
        2,
        1,
    )
    assert answer["results"][1]["success"] is False and "errorType" in answer["results"][1]["error"]
    server.wait_events(2)
    wait_for(lambda: server.issues() and server.issues()[0]["count"] == 2)


def test_dsn_authorization_header_works(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    body = {"errorCode": "E", "errorType": "ValueError", "message": "bad value"}
    response = server.post(
        "/api/v1/errors", orjson.dumps(body), {"Authorization": f"DSN {server.dsn}"}
    )
    assert response.status_code == 200, response.text


def test_key_in_query_string_for_beacons(sqlite_server: LiveServer) -> None:
    """navigator.sendBeacon sends text/plain with no custom header: the key rides in the
    URL, the answer carries CORS, and a preflight allows the native header too."""
    server = sqlite_server
    body = {"errorCode": "E", "errorType": "TypeError", "message": "x is undefined"}
    key = server.project.public_key or ""
    response = server.post(
        f"/api/v1/errors?faultbox_key={key}", orjson.dumps(body), {"Content-Type": "text/plain"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    batch = server.post(f"/api/v1/errors/batch?sentry_key={key}", orjson.dumps({"errors": [body]}))
    assert batch.json()["succeeded"] == 1, batch.text
    wrong = server.post(f"/api/v1/errors?faultbox_key={'0' * 32}", orjson.dumps(body))
    assert (wrong.status_code, wrong.json()) == (
        403,
        {"success": False, "error": "unknown public key"},
    )
    preflight = httpx.options(
        server.url + "/api/v1/errors",
        headers={
            "Origin": "http://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-faultbox-key",
        },
    )
    assert preflight.status_code == 200
    allowed = preflight.headers["access-control-allow-headers"]
    assert "x-faultbox-key" in allowed and "content-type" in allowed
    server.wait_events(2)


# --- the structured fields an SDK (or the browser script) captures -----------------------

JS_FRAMES = [
    {
        "filename": "https://shop.example.com/static/app.js",
        "function": "submit",
        "lineno": 80,
        "colno": 12,
    },
    {
        "filename": "https://shop.example.com/static/app.js",
        "function": "pay",
        "lineno": 31,
        "colno": 7,
    },
]


def _batch(server: LiveServer, items: list[dict[str, object]]) -> dict[str, Any]:
    response = server.post("/api/v1/errors/batch", orjson.dumps({"errors": items}), _key(server))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _js_error(**extra: object) -> dict[str, object]:
    return {
        "errorCode": "PAY_UI",
        "errorType": "TypeError",
        "message": "cart.total is undefined",
        "sourceType": "frontend_web",
        **extra,
    }


def test_structured_fields_arrive_as_the_events_own(live_server: LiveServer) -> None:
    server = live_server
    body = _js_error(
        eventId="6f1c2a1e-93c5-4b8e-9d6a-0a4b1f7c2e11",
        release="web@5.1.0",
        environment="eu-west canary",
        tags={"browser.name": "Firefox", "plan": "pro"},
        breadcrumbs=[
            {"timestamp": "2026-11-20T09:59:58Z", "category": "ui.click", "message": "button#pay"},
            {"timestamp": 1795168799.5, "type": "http", "category": "fetch", "level": "error",
             "data": {"url": "/api/cart", "status_code": 500}},
        ],
        exception={"frames": JS_FRAMES, "mechanism": {"type": "onerror", "handled": False}},
        occurredAt="2026-11-20T10:00:00Z",
    )  # fmt: skip
    answer = _batch(server, [body])
    assert answer["results"] == [
        {"index": 0, "success": True, "id": "6f1c2a1e93c54b8e9d6a0a4b1f7c2e11"}
    ]
    server.wait_events(1)
    event = server.api_json("/api/v1/events/6f1c2a1e93c54b8e9d6a0a4b1f7c2e11")
    assert event["release"] == "web@5.1.0" and event["environment"] == "eu-west canary"
    assert event["platform"] == "javascript"
    assert event["tags"]["plan"] == "pro" and event["tags"]["error_code"] == "PAY_UI"
    assert [(b["category"], b["level"]) for b in event["breadcrumbs"]] == [
        ("ui.click", None),
        ("fetch", "error"),
    ]
    assert event["breadcrumbs"][1]["data"] == {"url": "/api/cart", "status_code": 500}
    (exc,) = event["exceptions"]
    assert (exc["type"], exc["value"]) == ("TypeError", "cart.total is undefined")
    assert [(f["function"], f["lineno"], f["colno"]) for f in exc["frames"]] == [
        ("submit", 80, 12),
        ("pay", 31, 7),
    ]
    assert exc["mechanism"] == {"type": "onerror", "handled": False}
    (issue,) = server.issues()
    assert "pay" in issue["culprit"]
    assert server.issues(query="release:web@5.1.0") and not server.issues(query="release:web@9")


def test_a_resent_batch_with_the_same_event_ids_is_stored_once(live_server: LiveServer) -> None:
    server = live_server
    first, second = "a" * 32, "b" * 32
    items = [
        _js_error(eventId=first, exception={"frames": JS_FRAMES}),
        _js_error(eventId=second, errorType="RangeError", exception={"frames": JS_FRAMES[:1]}),
    ]
    assert [r["id"] for r in _batch(server, items)["results"]] == [first, second]
    server.wait_events(2)
    # The answer was lost: the client sends the same batch again, the UUID spelling too.
    _batch(server, items)
    again = _js_error(
        eventId="aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa", exception={"frames": JS_FRAMES}
    )
    _batch(
        server,
        [again, _js_error(message="queued after the resends", exception={"frames": JS_FRAMES})],
    )
    server.wait_events(3)
    wait_for(lambda: sum(i["count"] for i in server.issues()) == 3)
    assert server.event_count() == 3
    counts = sorted(i["count"] for i in server.issues())
    assert counts == [1, 2]  # TypeError: the first event and the sentinel; RangeError: one


def test_bad_structured_fields_cost_only_their_item(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    bad = [
        _js_error(eventId="not-an-id"),
        _js_error(release="web/5"),
        _js_error(environment="x" * 65),
        _js_error(tags={"plan": 3}),
        _js_error(breadcrumbs=[{"timestamp": "later"}]),
        _js_error(exception={"frames": [{"lineno": "80"}]}),
        _js_error(exception={"frames": [{"vars": {"a": [[[[[[[[[[1]]]]]]]]]]}}]}),
        _js_error(exception={"frames": [{}] * 251}),
    ]
    answer = _batch(server, [*bad, _js_error()])
    assert (answer["succeeded"], answer["failed"]) == (1, len(bad))
    reasons = [r["error"] for r in answer["results"][:-1]]
    assert reasons == [
        "eventId must be 32 hex digits or a UUID",
        "release must not contain a slash, a backslash, a tab or a line break",
        "environment is longer than 64 characters",
        "tags.plan must be a string",
        "breadcrumbs[0].timestamp must be Unix seconds or an ISO 8601 string",
        "exception.frames[0].lineno must be an integer between 0 and 2147483647",
        "exception.frames[0].vars is nested deeper than 10 levels",
        "exception.frames has 251 items, at most 250 are allowed",
    ]
    response = server.post("/api/v1/errors", orjson.dumps(bad[5]), _key(server))
    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "exception.frames[0].lineno must be an integer between 0 and 2147483647",
    }
    server.wait_events(1)
    assert server.event_count() == 1

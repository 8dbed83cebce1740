"""The team's native contract: POST /api/v1/errors and /batch, grouped like SDK events."""

from __future__ import annotations

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

"""What the middleware reports to a real Faultbox server: the 5xx and unexpected
exceptions only (never the expected 4xx), each with the request (method, URL, scrubbed
headers and body), the request id and the user."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import faultbox_sdk
from faultbox_sdk.scope import current_scope
from tests.sdk.kit.apps import APPS, FACTORIES, FRAMEWORKS, SERVER_ERRORS
from tests.support import LiveServer, wait_for

BODY = json.dumps({"item": "book", "password": "hunter2", "card": "4111 1111 1111 1111"})
HEADERS = {
    "Content-Type": "application/json",
    "Authorization": "Bearer very-secret-token",
    "Cookie": "sessionid=abc123",
    "User-Agent": "kit-tests/1.0",
}


def _events(server: LiveServer) -> list[dict[str, Any]]:
    out = []
    for issue in server.issues():
        listed = server.api_json(f"/api/v1/issues/{issue['id']}/events")["data"]
        out += [server.api_json(f"/api/v1/events/{e['event_id']}") for e in listed]
    return out


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_only_server_errors_are_reported_with_the_scrubbed_request(
    sqlite_server: LiveServer, tmp_path: Path, framework: str
) -> None:
    client = faultbox_sdk.init(
        sqlite_server.dsn,
        mode="envelope",
        environment="production",
        service_name="shop",
        buffer_dir=str(tmp_path / "outbox"),
        install_hooks=False,
    )
    call = APPS[framework]()
    request_ids: dict[str, str] = {}
    for name in FACTORIES:
        headers = {**HEADERS, "X-Request-ID": f"r-{name}"}
        reply = call("POST", f"/raise/{name}", headers, BODY.encode())
        request_ids[name] = reply.headers["x-request-id"]
    call("GET", "/nowhere")  # the framework's 404: expected, not reported
    assert faultbox_sdk.flush(10)
    reported = [*SERVER_ERRORS, "RuntimeError"]
    # Exactly these left the app: nothing for the 4xx.
    assert client.transport.stats.queued == len(reported)
    sqlite_server.wait_events(len(reported))
    wait_for(lambda: len(_events(sqlite_server)) == len(reported))
    events = _events(sqlite_server)
    by_type = {e["exceptions"][-1]["type"]: e for e in events}
    assert set(by_type) == set(reported)
    for name, event in by_type.items():
        assert event["tags"]["request_id"] == request_ids[name] == f"r-{name}"
        cls = FACTORIES[name]()
        code = getattr(cls, "error_code", "internal_error")
        assert event["tags"]["error_code"] == code
        request = event["request"]
        assert request["method"] == "POST"
        assert request["url"].endswith(f"/raise/{name}")
        headers = {k.lower(): v for k, v in _pairs(request["headers"])}
        assert headers["authorization"] == "[Filtered]"
        assert headers["cookie"] == "[Filtered]"
        assert headers["user-agent"] == "kit-tests/1.0"
        assert headers["x-request-id"] == f"r-{name}"
        data = request["data"]
        data = json.loads(data) if isinstance(data, str) else data
        assert data["item"] == "book"
        assert data["password"] == "[Filtered]" and data["card"] == "[Filtered]"
        assert event["exceptions"][-1]["mechanism"]["handled"] is False
        assert event["level"] == "error"  # not "fatal": the process lives on
        assert event["user"]["id"] == "u-7"
    # The user was set on each request's own scope: nothing leaked into the global one.
    assert current_scope().user is None
    assert "hunter2" not in json.dumps(events)
    assert "very-secret-token" not in json.dumps(events)


def _pairs(headers: Any) -> list[tuple[str, str]]:
    if isinstance(headers, dict):
        return list(headers.items())
    return [(k, v) for k, v in headers]


def test_native_mode_carries_the_request_in_the_contracts_fields(
    sqlite_server: LiveServer, tmp_path: Path
) -> None:
    faultbox_sdk.init(sqlite_server.dsn, buffer_dir=str(tmp_path / "outbox"), install_hooks=False)
    call = APPS["flask"]()
    call("POST", "/raise/ExternalServiceError", {**HEADERS, "X-Request-ID": "n-1"}, BODY.encode())
    call("POST", "/raise/NotFound", HEADERS, BODY.encode())
    assert faultbox_sdk.flush(10)
    sqlite_server.wait_events(1)
    (event,) = _events(sqlite_server)
    assert event["tags"]["request_id"] == "n-1"
    assert event["tags"]["error_code"] == "external_service_error"
    assert event["request"]["method"] == "POST"
    assert event["request"]["url"].endswith("/raise/ExternalServiceError")
    headers = {k.lower(): v for k, v in _pairs(event["request"]["headers"])}
    assert headers["authorization"] == headers["cookie"] == "[Filtered]"
    assert event["user"]["id"] == "u-7"
    assert "very-secret-token" not in json.dumps(event) and "hunter2" not in json.dumps(event)

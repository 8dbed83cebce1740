"""GET /api/v1/events/{id}/grouping: which parts made the fingerprint, and why."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sentry_sdk

from tests.support import LiveServer, wait_for


@pytest.fixture
def sdk(sqlite_server: LiveServer) -> Iterator[LiveServer]:
    sentry_sdk.init(dsn=sqlite_server.dsn, release="shop@3.1.0")
    yield sqlite_server
    sentry_sdk.get_client().close(timeout=5)


def read_body(raw: str) -> Any:
    return json.loads(raw)


def handle_request(raw: str) -> Any:
    return read_body(raw)


def _capture(raw: str, **scope_fields: Any) -> str:
    try:
        handle_request(raw)
    except ValueError:
        with sentry_sdk.new_scope() as scope:
            if "fingerprint" in scope_fields:
                scope.fingerprint = scope_fields["fingerprint"]
            event_id = sentry_sdk.capture_exception()
    assert event_id is not None
    return event_id


def _explain(server: LiveServer, event_id: str) -> dict[str, Any]:
    server_side = wait_for(lambda: server.api(f"/api/v1/events/{event_id}").status_code == 200)
    assert server_side
    data: dict[str, Any] = server.api_json(f"/api/v1/events/{event_id}/grouping")
    return data


def test_explains_the_app_frame_the_library_frames_and_the_callers(sdk: LiveServer) -> None:
    event_id = _capture("{not json")
    sentry_sdk.flush(timeout=10)
    info = _explain(sdk, event_id)

    assert info["decided_by"] == "default algorithm" and info["recorded_at_digest"] is True
    assert info["version"] == info["today"]["version"] and info["today"]["same_as_stored"]
    event = sdk.api_json(f"/api/v1/events/{event_id}")
    assert (
        info["hash"]
        == sdk.api_json(f"/api/v1/issues/{event['issue_id']}/hashes")["data"][0]["hash"]
    )
    (exc,) = info["exceptions"]
    assert exc["type"] == "JSONDecodeError" and exc["type_contributes"] is True
    assert exc["value_contributes"] is False and "stack identifies" in exc["value_hint"]
    frames = {f["function"]: f for f in exc["frames"]}
    app = frames["read_body"]
    assert app["contributes"] is True and "innermost in-app frame" in app["hint"]
    assert "line" in app["hint"] and app["in_app"] is True
    caller = frames["handle_request"]
    assert caller["contributes"] is False and "caller" in caller["hint"]
    library = frames["raw_decode"]
    assert library["contributes"] is False and library["in_app"] is False
    assert "library frame below" in library["hint"]
    contributing = [c for c in info["components"] if c.startswith("frame:")]
    assert contributing == [f"frame:{app['location']}"]
    assert "line and column numbers" in info["ignored_always"][0]


def test_explains_a_client_fingerprint_and_a_log_message(sdk: LiveServer) -> None:
    fingerprinted = _capture("[1,", fingerprint=["{{ default }}", "tenant-a"])
    logging.getLogger("shop.cart").error("cart %s has %d items", "c-81", 12)
    sentry_sdk.flush(timeout=10)
    info = _explain(sdk, fingerprinted)
    assert info["decided_by"] == "client fingerprint with {{ default }}"
    assert info["client_fingerprint"] == ["{{ default }}", "tenant-a"]
    assert info["components"][-1] == "fingerprint:tenant-a"

    logged = wait_for(
        lambda: [
            e
            for e in sdk.api_json(f"/api/v1/projects/{sdk.project.slug}/events")["data"]
            if e["title"].startswith("cart")
        ]
    )
    message = _explain(sdk, logged[0]["event_id"])["message"]
    assert message["source"] == "logentry.message (before parameters)"
    assert message["text"] == "cart %s has %d items" and message["contributes"] is True


def test_shows_when_todays_rules_would_group_differently(sdk: LiveServer) -> None:
    event_id = _capture("nope")
    sentry_sdk.flush(timeout=10)
    before = _explain(sdk, event_id)
    writer = sdk.admin_token(["project:read", "project:write"])
    rules = httpx.put(
        f"{sdk.url}/api/v1/projects/{sdk.project.slug}/fingerprint-rules",
        headers={"Authorization": f"Bearer {writer}"},
        json={"rules": "error.type:JSONDecodeError -> bad-json"},
    )
    assert rules.status_code == 200
    after = sdk.api_json(f"/api/v1/events/{event_id}/grouping")
    assert after["hash"] == before["hash"] and after["decided_by"] == "default algorithm"
    assert after["today"]["same_as_stored"] is False
    assert after["today"]["rule"] == "error.type:JSONDecodeError -> bad-json"
    assert after["today"]["components"] == ["fingerprint:bad-json"]


def test_refuses_bad_ids_and_hidden_events(sdk: LiveServer) -> None:
    assert sdk.api("/api/v1/events/not-an-id/grouping").status_code == 400
    assert sdk.api(f"/api/v1/events/{'0' * 32}/grouping").status_code == 404
    event_id = _capture("x")
    sentry_sdk.flush(timeout=10)
    _explain(sdk, event_id)
    assert httpx.get(f"{sdk.url}/api/v1/events/{event_id}/grouping").status_code == 401
    no_scope = sdk.admin_token(["project:read"])
    assert sdk.api(f"/api/v1/events/{event_id}/grouping", token=no_scope).status_code == 403

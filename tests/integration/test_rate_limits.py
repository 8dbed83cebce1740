"""Per-key rate limits and quotas and spike protection, end to end: raw envelopes, the
native API and the real sentry-sdk against a live server, with the clock pinned so the
windows are exact (no sleeping through a minute)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
import sentry_sdk

from faultbox import clock
from faultbox.ingest.spike import SpikePolicy
from faultbox.store.db import write_transaction
from faultbox.store.outcomes import add_outcomes
from tests.support import LiveServer, wait_for

CATEGORIES = "error;default;security"
NOW = float(int(time.time()))
MINUTE_START = NOW - NOW % 60
DAY_START = NOW - NOW % 86400


@pytest.fixture(autouse=True)
def pinned_clock() -> Iterator[None]:
    clock.pin(MINUTE_START + 15)  # 45 s left in the minute
    yield
    clock.pin(None)


def admin(server: LiveServer) -> dict[str, str]:
    token = server.admin_token(["project:read", "project:write", "project:admin", "event:read"])
    return {"Authorization": f"Bearer {token}"}


def set_key_limits(server: LiveServer, **limits: Any) -> dict[str, Any]:
    key_id = protection(server)["keys"][0]["id"]
    response = httpx.patch(
        f"{server.url}/api/v1/projects/{server.project.slug}/keys/{key_id}/limits",
        json=limits,
        headers=admin(server),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def protection(server: LiveServer) -> dict[str, Any]:
    answer: dict[str, Any] = server.api_json(f"/api/v1/projects/{server.project.slug}/protection")
    return answer


def envelope(server: LiveServer, *extra_items: bytes) -> httpx.Response:
    event_id = uuid.uuid4().hex
    body = b"\n".join(
        [
            orjson.dumps({"event_id": event_id}),
            b'{"type":"event"}',
            orjson.dumps({"message": "over the limit?", "level": "error"}),
            *extra_items,
        ]
    )
    return server.post(f"/api/{server.project.id}/envelope/", body, server.auth_header())


def outcomes(server: LiveServer) -> dict[str, Any]:
    answer: dict[str, Any] = server.api_json(
        "/api/v1/stats/outcomes", project=server.project.slug, period="24h"
    )
    return answer


def dropped(server: LiveServer, outcome: str, reason: str) -> int:
    return sum(
        d["quantity"]
        for d in outcomes(server)["dropped"]
        if (d["outcome"], d["reason"]) == (outcome, reason)
    )


def test_per_minute_limit_admits_exactly_n_then_429_until_the_minute_ends(
    live_server: LiveServer,
) -> None:
    server = live_server
    key = set_key_limits(server, rate_limit_per_minute=3)
    assert key["rate_limit_per_minute"] == 3 and key["effective"]["rate_limit_per_minute"] == 3
    for _ in range(2):  # N - 1
        assert envelope(server).status_code == 200
    assert envelope(server).status_code == 200  # N
    refused = envelope(server)  # N + 1
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "45"
    assert refused.headers["X-Sentry-Rate-Limits"] == f"45:{CATEGORIES}:key:key_rate_limit"
    assert "key_rate_limit" in refused.json()["detail"]
    # Browsers' SDKs can read the headers only if they are exposed.
    assert "X-Sentry-Rate-Limits" in refused.headers["Access-Control-Expose-Headers"]
    clock.advance(44)
    assert envelope(server).status_code == 429
    clock.advance(1)  # the next minute: a fresh window
    assert envelope(server).status_code == 200
    server.wait_events(4)
    wait_for(lambda: dropped(server, "rate_limited", "key_rate_limit") == 2)
    assert outcomes(server)["accepted"] == 4
    assert outcomes(server)["dropped_total"] == 2
    assert server.event_count() == 4


def test_day_quota_holds_until_utc_midnight_and_refused_events_use_no_quota(
    live_server: LiveServer,
) -> None:
    server = live_server
    clock.pin(DAY_START + 20 * 3600 + 5)
    set_key_limits(server, quota_per_day=2, rate_limit_per_minute=1)
    assert envelope(server).status_code == 200
    assert envelope(server).status_code == 429  # the minute limit refuses...
    clock.advance(60)
    assert envelope(server).status_code == 200  # ...without using up the day's quota
    clock.advance(60)
    refused = envelope(server)
    assert refused.status_code == 429
    left = 4 * 3600 - 5 - 120
    assert refused.headers["Retry-After"] == str(left)
    assert refused.headers["X-Sentry-Rate-Limits"] == f"{left}:{CATEGORIES}:key:key_quota"
    clock.advance(left)  # midnight UTC
    assert envelope(server).status_code == 200
    wait_for(lambda: dropped(server, "rate_limited", "key_quota") == 1)
    assert dropped(server, "rate_limited", "key_rate_limit") == 1


def test_limited_event_beside_other_items_answers_200_with_the_header(
    live_server: LiveServer,
) -> None:
    server = live_server
    set_key_limits(server, rate_limit_per_minute=1)
    assert envelope(server).status_code == 200
    session = orjson.dumps(
        {
            "sid": uuid.uuid4().hex,
            "init": True,
            "started": "2026-11-30T00:00:00Z",
            "status": "ok",
            "errors": 0,
            "attrs": {"release": "shop@1"},
        }
    )
    answer = envelope(server, b'{"type":"session"}', session)
    assert answer.status_code == 200, answer.text
    assert answer.headers["X-Sentry-Rate-Limits"] == f"45:{CATEGORIES}:key:key_rate_limit"
    assert "Retry-After" not in answer.headers


def test_native_api_and_store_endpoint_are_limited_too(live_server: LiveServer) -> None:
    server = live_server
    set_key_limits(server, rate_limit_per_minute=1)
    native = {"X-Faultbox-Key": server.project.public_key or ""}
    body = orjson.dumps({"errorCode": "E", "errorType": "ValueError", "message": "m"})
    assert server.post("/api/v1/errors", body, native).status_code == 200
    refused = server.post("/api/v1/errors", body, native)
    assert refused.status_code == 429
    assert refused.json()["success"] is False and "retry after 45" in refused.json()["error"]
    assert refused.headers["Retry-After"] == "45"
    batch = orjson.dumps([orjson.loads(body)] * 2)
    refused = server.post("/api/v1/errors/batch", batch, native)
    assert refused.status_code == 429 and refused.json()["success"] is False
    store = server.post(
        f"/api/{server.project.id}/store/",
        orjson.dumps({"message": "legacy client"}),
        {**server.auth_header(), "Content-Type": "application/json"},
    )
    assert store.status_code == 429
    assert store.headers["X-Sentry-Rate-Limits"] == f"45:{CATEGORIES}:key:key_rate_limit"
    wait_for(lambda: dropped(server, "rate_limited", "key_rate_limit") == 4)


def test_the_server_default_applies_to_keys_without_their_own_limit(
    live_server: LiveServer,
) -> None:
    server = live_server
    settings = server.app.state.ingest.protection.settings
    server.app.state.ingest.protection.settings = replace(settings, rate_limit_per_minute=1)
    try:
        assert protection(server)["keys"][0]["rate_limit_per_minute"] is None
        assert envelope(server).status_code == 200
        assert envelope(server).status_code == 429
        set_key_limits(server, rate_limit_per_minute=0)  # 0: this key has no limit
        assert envelope(server).status_code == 200
    finally:
        server.app.state.ingest.protection.settings = settings


def test_spike_protection_caps_a_project_at_a_multiple_of_its_usual_rate(
    live_server: LiveServer,
) -> None:
    server = live_server
    hour = int(MINUTE_START // 3600)
    # 1,440 accepted events over the 24 hours before the last one: 1 a minute on average.
    history = {(server.project.id, hour - 2 - h, "error", "accepted", ""): 60 for h in range(24)}
    # The hour just ended is not read (other processes may still be flushing it).
    history[(server.project.id, hour - 1, "error", "accepted", "")] = 100_000
    with write_transaction(server.engine) as conn:
        add_outcomes(conn, history)
    server.app.state.ingest.protection.spike.configure(SpikePolicy(floor=3, factor=10))
    assert protection(server)["spike_protection"] == {"enabled": True, "cap_per_minute": 10}
    for _ in range(10):
        assert envelope(server).status_code == 200
    refused = envelope(server)
    assert refused.status_code == 429
    assert refused.headers["X-Sentry-Rate-Limits"] == f"45:{CATEGORIES}:project:spike_protection"
    off = httpx.patch(
        f"{server.url}/api/v1/projects/{server.project.slug}/protection",
        json={"spike_protection": False},
        headers=admin(server),
        timeout=10,
    )
    assert off.status_code == 200, off.text
    assert off.json()["spike_protection"] == {"enabled": False, "cap_per_minute": None}
    assert envelope(server).status_code == 200  # only explicit limits apply now
    wait_for(lambda: dropped(server, "rate_limited", "spike_protection") == 1)


def test_sentry_sdk_stops_sending_after_the_429(live_server: LiveServer) -> None:
    server = live_server
    set_key_limits(server, rate_limit_per_minute=2)
    sentry_sdk.init(dsn=server.dsn, default_integrations=False)
    try:
        client = sentry_sdk.get_client()
        for i in range(2):
            sentry_sdk.capture_message(f"within the limit {i}")
        sentry_sdk.flush(timeout=10)
        sentry_sdk.capture_message("over the limit")
        sentry_sdk.flush(timeout=10)
        disabled = client.transport._disabled_until  # type: ignore[union-attr]
        assert {"error", "default", "security"} <= set(disabled)
        remaining = (disabled["error"] - datetime.now(UTC)).total_seconds()
        assert 30 < remaining <= 45
        for i in range(3):  # dropped by the SDK itself: the server never sees them
            sentry_sdk.capture_message(f"held back {i}")
        sentry_sdk.flush(timeout=10)
    finally:
        sentry_sdk.get_client().close(timeout=5)
    # A request of our own after the SDK's: once its drop is counted, anything the SDK
    # had sent would be too, so exactly two drops mean the SDK sent nothing more.
    assert envelope(server).status_code == 429
    server.wait_events(2)
    wait_for(lambda: dropped(server, "rate_limited", "key_rate_limit") >= 2)
    assert dropped(server, "rate_limited", "key_rate_limit") == 2
    assert outcomes(server)["accepted"] == 2

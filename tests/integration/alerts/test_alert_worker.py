"""Alerting in a running server: rules and channels made through the API, events from
the real sentry-sdk and the native batch API, messages arriving at a local Slack that
validates them; a storm of 10 000 events in a minute stays within the channel's limit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
import sentry_sdk
from sqlalchemy import update

from faultbox.store.db import read_connection, write_transaction
from faultbox.store.schema import alert_deliveries, projects
from tests.fakes.services import FakeService, serve, slack
from tests.support import LiveServer, wait_for


@pytest.fixture
def chat() -> Iterator[FakeService]:
    with serve(FakeService(slack)) as service:
        yield service


def _api(server: LiveServer, method: str, path: str, body: Any = None) -> httpx.Response:
    token = server.admin_token(["project:read", "alerts:read", "alerts:write"])
    return httpx.request(
        method,
        server.url + path,
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def _slack_channel(server: LiveServer, chat: FakeService, **extra: Any) -> int:
    made = _api(
        server,
        "POST",
        f"/api/v1/projects/{server.project.slug}/alert-channels",
        {
            "name": "ops chat",
            "kind": "slack",
            "role": "chat",
            "secrets": {"webhook_url": f"{chat.url}/services/T1/B1/token"},
            **extra,
        },
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _rule(server: LiveServer, body: dict[str, Any]) -> None:
    made = _api(server, "POST", f"/api/v1/projects/{server.project.slug}/alert-rules", body)
    assert made.status_code == 201, made.text


def test_a_sentry_sdk_error_reaches_slack(sqlite_server: LiveServer, chat: FakeService) -> None:
    server = sqlite_server
    _slack_channel(server, chat)
    _rule(server, {"name": "new errors", "condition": "new_issue", "severity": "P2"})
    sentry_sdk.init(dsn=server.dsn, release="shop@2.0.0", default_integrations=False)
    try:
        raise KeyError("sku-4711")
    except KeyError:
        sentry_sdk.capture_exception()
    sentry_sdk.get_client().close(timeout=10)
    wait_for(lambda: chat.requests, 20)
    text = orjson.dumps(chat.requests[0].json()).decode()
    assert "KeyError" in text and "sku-4711" in text
    deliveries = _api(server, "GET", f"/api/v1/projects/{server.project.slug}/alert-deliveries")
    assert deliveries.status_code == 200
    [row] = deliveries.json()["data"]
    assert (row["status"], row["attempts"], row["status_code"]) == ("sent", 1, 200)
    time.sleep(0.5)  # nothing else is on its way
    assert len(chat.requests) == 1


def test_a_storm_of_10000_events_in_a_minute_sends_a_bounded_number(
    sqlite_server: LiveServer, chat: FakeService
) -> None:
    server = sqlite_server
    # Spike protection would refuse most of this storm at ingest (its own tests are in
    # test_rate_limits.py); here every event must reach the alerting.
    with write_transaction(server.engine) as conn:
        conn.execute(update(projects).values(spike_protection=False))
    _slack_channel(server, chat, storm_limit=5, storm_window_seconds=300)
    _rule(server, {"name": "new errors", "condition": "new_issue"})
    headers = {"X-Faultbox-Key": server.project.public_key or ""}
    for batch in range(10):
        errors = [
            {
                "errorCode": f"E{n % 400}",
                "errorType": f"StormError{n % 400}",
                "message": f"storm {n % 400}",
                "serviceName": "payments",
            }
            for n in range(batch * 1000, (batch + 1) * 1000)
        ]
        answer = server.post("/api/v1/errors/batch", orjson.dumps({"errors": errors}), headers)
        assert answer.status_code == 200 and answer.json()["succeeded"] == 1000
    server.wait_events(10_000, timeout=120)

    def settled() -> bool:
        with read_connection(server.engine) as conn:
            rows = conn.execute(alert_deliveries.select()).all()
        sent = [r for r in rows if r.status == "sent"]
        return len(rows) >= 400 + 1 and bool(sent)

    wait_for(settled, 60)
    time.sleep(2)  # let the runner send whatever it would
    with read_connection(server.engine) as conn:
        rows = conn.execute(alert_deliveries.select()).all()
    by_status: dict[str, int] = {}
    for row in rows:
        by_status[row.status] = by_status.get(row.status, 0) + 1
    # 400 new issues: every one has its delivery (nothing lost), at most 5 messages left
    # in the window (one of them a storm message listing many); the rest wait for it.
    firings = [r for r in rows if r.firing_id is not None]
    assert len(firings) == 400
    # The limit is per sliding 300 s window: sends spread over longer (a machine slow
    # enough to take minutes over this storm) would be allowed 5 more per window.
    sent_at = [r.sent_at for r in rows if r.status == "sent"]
    windows = 1 + int((max(sent_at) - min(sent_at)) // 300)
    assert 1 <= len(chat.requests) <= 5 * windows
    assert by_status.get("sent", 0) == len(chat.requests)
    assert by_status.get("failed", 0) == 0
    assert by_status.get("grouped", 0) + by_status.get("pending", 0) + by_status["sent"] >= 400
    assert any("alerts in" in orjson.dumps(r.json()).decode() for r in chat.requests)

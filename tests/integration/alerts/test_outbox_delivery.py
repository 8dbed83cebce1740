"""The outbox end to end with a pinned clock, on SQLite and PostgreSQL: a firing becomes
one delivery per routed channel, sent once; failures are retried with backoff (and the
service's Retry-After), then recorded as failed, never lost; storms are grouped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from faultbox import clock
from faultbox.alerts.dispatch import LEASE_SECONDS, Dispatcher, send_test
from faultbox.config import load_settings
from faultbox.store import alert_channels as channels
from faultbox.store import alert_deliveries
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.schema import alert_channels
from tests.fakes.services import (
    FakeService,
    closed_port,
    pagerduty,
    serve,
    silent_port,
    slack,
)
from tests.integration.alerts.delivery_support import DeliveryWorld
from tests.integration.alerts.rules_support import MIN, T0

ROUTING_KEY = "R0123456789abcdef0123456789abcde"


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[DeliveryWorld]:
    yield DeliveryWorld(engine, tmp_path, alert_max_attempts=3)
    clock.pin(None)


@pytest.fixture
def chat() -> Iterator[FakeService]:
    with serve(FakeService(slack)) as service:
        yield service


@pytest.fixture
def pager() -> Iterator[FakeService]:
    with serve(FakeService(pagerduty)) as service:
        yield service


def _slack(world: DeliveryWorld, service: FakeService, **options: object) -> int:
    return world.channel(
        "slack", {}, {"webhook_url": f"{service.url}/services/T0/B0/x"}, role="chat", **options
    )


def _pagerduty(world: DeliveryWorld, service: FakeService) -> int:
    return world.channel(
        "pagerduty",
        {"events_url": f"{service.url}/v2/enqueue"},
        {"routing_key": ROUTING_KEY},
        role="pager",
    )


def test_a_p2_firing_goes_to_chat_once(
    world: DeliveryWorld, chat: FakeService, pager: FakeService
) -> None:
    _slack(world, chat)
    _pagerduty(world, pager)
    world.rule("new_issue", severity="P2", now=T0 - MIN)
    issue = world.issue("KeyError: 'sku'", first_seen=T0 - 5)
    assert len(world.fire(T0)) == 1
    assert world.fire(T0 + 1) == []  # the same occurrence is not enqueued again
    assert world.dispatch(T0) == 1
    assert world.dispatch(T0 + 1) == 0
    assert len(chat.requests) == 1 and pager.requests == []
    body = chat.requests[0].json()
    assert "KeyError: 'sku'" in json.dumps(body)
    [row] = world.deliveries()
    assert (row["status"], row["attempts"], row["status_code"], row["issue_id"]) == (
        "sent",
        1,
        200,
        issue,
    )
    assert row["sent_at"] == T0


def test_a_p1_firing_pages_and_chats_and_opens_an_incident(
    world: DeliveryWorld, chat: FakeService, pager: FakeService
) -> None:
    _slack(world, chat)
    _pagerduty(world, pager)
    world.rule("new_issue", severity="P1", now=T0 - MIN)
    world.issue("DatabaseError", first_seen=T0 - 5)
    world.fire(T0)
    assert world.dispatch(T0) == 2
    assert len(chat.requests) == 1 and len(pager.requests) == 1
    page = pager.requests[0].json()
    assert page["event_action"] == "trigger" and page["routing_key"] == ROUTING_KEY
    [incident] = world.incidents()
    assert incident["status"] == "open" and incident["dedup_key"] == page["dedup_key"]
    assert world.timeline() == ["opened", "paged", "paged"]


def test_rule_targets_override_the_routing(
    world: DeliveryWorld, chat: FakeService, pager: FakeService
) -> None:
    _slack(world, chat)
    pd = _pagerduty(world, pager)
    world.rule("new_issue", severity="P3", targets={"*": [pd]}, now=T0 - MIN)
    world.issue(first_seen=T0 - 5)
    world.fire(T0)
    world.dispatch(T0)
    assert chat.requests == [] and len(pager.requests) == 1


def test_transient_failures_are_retried_with_backoff_then_sent(
    world: DeliveryWorld, chat: FakeService
) -> None:
    _slack(world, chat)
    world.rule("new_issue", now=T0 - MIN)
    world.issue(first_seen=T0 - 5)
    world.fire(T0)
    chat.fail(2, 503, b"service unavailable")
    assert world.dispatch(T0) == 1
    [row] = world.deliveries()
    assert (row["status"], row["attempts"], row["status_code"]) == ("pending", 1, 503)
    # 10 s ± 20 %: not before 8 s, due by 12 s.
    assert T0 + 8 <= row["next_attempt_at"] <= T0 + 12
    assert world.dispatch(T0 + 7.9) == 0
    assert world.dispatch(T0 + 12) == 1
    [row] = world.deliveries()
    assert (row["status"], row["attempts"]) == ("pending", 2)
    assert T0 + 12 + 16 <= row["next_attempt_at"] <= T0 + 12 + 24  # doubled
    assert world.dispatch(T0 + 40) == 1
    [row] = world.deliveries()
    assert (row["status"], row["attempts"], row["status_code"]) == ("sent", 3, 200)
    assert len(chat.requests) == 3


def test_retry_after_is_honoured(world: DeliveryWorld, chat: FakeService) -> None:
    _slack(world, chat)
    world.rule("new_issue", now=T0 - MIN)
    world.issue(first_seen=T0 - 5)
    world.fire(T0)
    chat.fail(1, 429, b"rate_limited", {"Retry-After": "300"})
    world.dispatch(T0)
    [row] = world.deliveries()
    assert row["status"] == "pending" and row["next_attempt_at"] >= T0 + 300
    assert world.dispatch(T0 + 299) == 0
    assert world.dispatch(T0 + 300) == 1
    assert world.deliveries()[0]["status"] == "sent"


def test_a_channel_down_is_retried_then_recorded_as_failed(world: DeliveryWorld) -> None:
    world.channel("slack", {}, {"webhook_url": closed_port() + "/hook"}, role="chat")
    world.rule("new_issue", severity="P1", now=T0 - MIN)
    world.issue(first_seen=T0 - 5)
    world.fire(T0)
    now = T0
    for attempt in (1, 2, 3):
        assert world.dispatch(now) == 1
        row = world.deliveries()[0]
        assert row["attempts"] == attempt
        assert "connection error" in row["response"]
        now = row["next_attempt_at"]
    assert row["status"] == "failed"  # alert_max_attempts=3
    assert world.dispatch(now + 3600) == 0
    assert world.timeline() == ["opened", "trigger failed on"]


def test_a_timeout_counts_as_transient(world: DeliveryWorld) -> None:
    world.dispatcher.send_timeout = 0.2
    with silent_port() as url:
        world.channel("slack", {}, {"webhook_url": url + "/hook"}, role="chat")
        world.rule("new_issue", now=T0 - MIN)
        world.issue(first_seen=T0 - 5)
        world.fire(T0)
        world.dispatch(T0)
    [row] = world.deliveries()
    assert row["status"] == "pending" and "timeout" in row["response"]


def test_a_permanent_error_fails_at_once(world: DeliveryWorld, chat: FakeService) -> None:
    _slack(world, chat)
    world.rule("new_issue", now=T0 - MIN)
    world.issue(first_seen=T0 - 5)
    world.fire(T0)
    chat.fail(1, 404, b"no_service")
    world.dispatch(T0)
    [row] = world.deliveries()
    assert (row["status"], row["attempts"], row["status_code"], row["response"]) == (
        "failed",
        1,
        404,
        "no_service",
    )


def test_a_disabled_channel_gets_nothing(world: DeliveryWorld, chat: FakeService) -> None:
    channel = _slack(world, chat)
    world.rule("new_issue", now=T0 - MIN)
    world.issue(first_seen=T0 - 5)
    with write_transaction(world.engine) as conn:
        channels.update_channel(conn, channel, T0, enabled=False)
    assert world.fire(T0) == []  # routing skips disabled channels
    assert world.dispatch(T0) == 0 and chat.requests == []


def test_secrets_are_sealed_and_another_server_key_cannot_read_them(
    world: DeliveryWorld, chat: FakeService, tmp_path: Path
) -> None:
    webhook = f"{chat.url}/services/T0/B0/secret-part"
    world.channel("slack", {}, {"webhook_url": webhook}, role="chat")
    with read_connection(world.engine) as conn:
        [row] = conn.execute(select(alert_channels)).all()
    assert "secret-part" not in json.dumps(dict(row._mapping), default=str)
    assert json.loads(row.secret_hints) == {"webhook_url": "…part"}
    moved = load_settings(
        {
            "data_dir": str(tmp_path / "other"),
            "database_url": world.settings.database_url,
            "secret_key": "a-different-server-key-0123456789",
        },
        environ={},
    )
    world.dispatcher = Dispatcher(world.engine, moved, owner="other")
    world.rule("new_issue", now=T0 - MIN)
    world.issue(first_seen=T0 - 5)
    world.fire(T0)
    world.dispatch(T0)
    [delivery] = world.deliveries()
    assert delivery["status"] == "failed" and "another secret key" in delivery["response"]
    assert chat.requests == []


def test_a_storm_is_grouped_within_the_channel_limit(
    world: DeliveryWorld, chat: FakeService
) -> None:
    _slack(world, chat, storm_limit=3, storm_window_seconds=300)
    world.rule("new_issue", now=T0 - MIN)
    for n in range(60):
        world.issue(f"storm error {n}", first_seen=T0 - 5)
    assert len(world.fire(T0)) == 60
    while world.dispatch(T0):
        pass
    # Two alerts one by one, the third message lists the other 58.
    assert len(chat.requests) == 3
    storm = json.dumps(chat.requests[2].json())
    assert "58 alerts" in storm and "storm error 2" in storm
    assert "and 38 more" in storm  # Slack's message lists 20
    statuses = [d["status"] for d in world.deliveries()]
    assert statuses.count("grouped") == 58 and statuses.count("sent") == 3
    # More firings inside the window wait for it to move, then go out as one message.
    for n in range(60, 80):
        world.issue(f"storm error {n}", first_seen=T0 + 10)
    world.fire(T0 + 20)
    assert world.dispatch(T0 + 20) == 0 and len(chat.requests) == 3
    assert world.dispatch(T0 + 299) == 0
    while world.dispatch(T0 + 300):
        pass
    assert len(chat.requests) == 6  # the window's budget again: 2 singles + 1 storm of 18
    assert "18 alerts" in json.dumps(chat.requests[5].json())
    assert [d["status"] for d in world.deliveries()].count("pending") == 0


def test_kill_between_send_and_record_is_resent_with_the_same_key(
    world: DeliveryWorld, pager: FakeService
) -> None:
    """Simulated here by a lease that ran out (the process test: test_alert_worker)."""
    _pagerduty(world, pager)
    world.rule("new_issue", severity="P1", now=T0 - MIN)
    world.issue(first_seen=T0 - 5)
    world.fire(T0)
    with write_transaction(world.engine) as conn:
        [due] = alert_deliveries.due_rows(conn, T0, 10)
        alert_deliveries.lease(conn, [due.id], "dead-worker", T0, T0 + LEASE_SECONDS)
    assert world.dispatch(T0 + LEASE_SECONDS - 1) == 0  # still leased by the dead one
    assert world.dispatch(T0 + LEASE_SECONDS + 1) == 1
    [row] = world.deliveries()
    assert (row["status"], row["attempts"]) == ("sent", 2)


def test_send_test_notification(world: DeliveryWorld, chat: FakeService) -> None:
    ok = _slack(world, chat)
    result = send_test(world.engine, world.settings, ok, now=T0)
    assert result.ok and result.status_code == 200
    assert "Test notification" in json.dumps(chat.requests[0].json())
    broken = world.channel("slack", {}, {"webhook_url": closed_port() + "/x"}, name="broken")
    failed = send_test(world.engine, world.settings, broken, now=T0)
    assert not failed.ok and "connection error" in failed.response
    rows = world.deliveries()
    assert [(r["kind"], r["status"], r["attempts"]) for r in rows] == [
        ("test", "sent", 1),
        ("test", "failed", 1),  # a test is never retried
    ]
    with pytest.raises(LookupError):
        send_test(world.engine, world.settings, 999_999, now=T0)


def test_p3_alerts_wait_for_one_daily_digest_email(world: DeliveryWorld) -> None:
    from tests.fakes.smtp import smtp_server

    with smtp_server() as mailbox:
        world.channel(
            "email",
            {
                "host": "127.0.0.1",
                "port": str(mailbox.port),
                "security": "none",
                "from_addr": "faultbox@example.com",
                "to": "oncall@example.com",
            },
            {},
            role="digest_email",
        )
        world.rule("new_issue", severity="P3", now=T0 - MIN)
        for n in range(3):
            world.issue(f"minor glitch {n}", first_seen=T0 - 5)
        world.fire(T0)  # T0 is 08:00 UTC: the next digest goes out tomorrow at 08:00
        tomorrow = T0 + 86400
        assert {d["next_attempt_at"] for d in world.deliveries()} == {tomorrow}
        assert world.dispatch(tomorrow - 1) == 0 and mailbox.received == []
        assert world.dispatch(tomorrow) == 1
        [mail] = mailbox.received
        message = mail.message()
        assert "Daily digest: 3 alerts" in message["Subject"]
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert all(f"minor glitch {n}" in text for n in range(3))
        statuses = sorted(d["status"] for d in world.deliveries())
        assert statuses == ["grouped", "grouped", "grouped", "sent"]


def test_webhook_idempotency_key_is_per_delivery_and_kept_by_retries(
    world: DeliveryWorld,
) -> None:
    from tests.fakes.services import webhook_receiver

    with serve(FakeService(webhook_receiver("hook-secret"))) as hook:
        world.channel(
            "webhook", {}, {"url": f"{hook.url}/in", "secret": "hook-secret"}, role="chat"
        )
        world.rule("new_issue", now=T0 - MIN)
        world.issue("first", first_seen=T0 - 5)
        world.issue("second", first_seen=T0 - 5)
        world.fire(T0)
        hook.fail(1, 502)
        world.dispatch(T0)
        world.dispatch(T0 + 60)
        keys = [r.headers["idempotency-key"] for r in hook.requests]
        assert [status for status, *_ in hook.answers] == [502, 200, 200]
        # The failed first delivery was retried with its own key; two deliveries, two keys.
        assert keys[0] == keys[2] and len(set(keys)) == 2

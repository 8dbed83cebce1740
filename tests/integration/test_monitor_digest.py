"""The digest stores check-ins and session counts in the batch's one transaction and
dead-letters what it cannot use, with the reason."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, func, select

from faultbox import clock
from faultbox.digest.worker import DigestWorker
from faultbox.queue.base import IngestMeta, Kind, NewMessage
from faultbox.queue.sqlite_inbox import SqliteInbox
from faultbox.store.monitors import get_monitor, list_checkins
from faultbox.store.schema import dead_letters, events
from faultbox.store.session_counts import session_totals
from tests.support import seed

CONFIG = {
    "schedule_type": "crontab",
    "schedule": "0 * * * *",
    "timezone": "UTC",
    "checkin_margin_minutes": 5,
    "max_runtime_minutes": 30,
}


def check_in(n: int, **fields: Any) -> NewMessage:
    body = {
        "monitor_slug": "hourly",
        "check_in_id": f"{n:032x}",
        "status": "ok",
        "duration": 3.0,
        "environment": "production",
        "release": "shop@1.0",
        **fields,
    }
    return NewMessage(1, Kind.CHECK_IN, f"{n:032x}", time.time(), orjson.dumps(body), IngestMeta())


def sessions(n: int, payload: bytes | None = None) -> NewMessage:
    body = {
        "release": "shop@1.0",
        "environment": "production",
        "started": 10,
        "errored": 2,
        "crashed": 1,
        "abnormal": 0,
    }
    raw = payload if payload is not None else orjson.dumps(body)
    return NewMessage(1, Kind.SESSIONS, f"{n:032x}", time.time(), raw, IngestMeta())


@pytest.fixture
def setup(engine: Engine, tmp_path: Path) -> tuple[Engine, SqliteInbox, DigestWorker]:
    project, _ = seed(engine, "http://127.0.0.1:8000")
    assert project.id == 1
    inbox = SqliteInbox(tmp_path / "queue.sqlite3", max_depth=10_000)
    return engine, inbox, DigestWorker(engine, inbox, batch_size=50, max_attempts=3)


def test_a_mixed_batch_stores_events_check_ins_and_sessions(
    setup: tuple[Engine, SqliteInbox, DigestWorker],
) -> None:
    engine, inbox, worker = setup
    event = orjson.dumps({"message": "boom", "level": "error"})
    messages = [
        NewMessage(1, Kind.SENTRY_EVENT, "e" * 32, time.time(), event, IngestMeta()),
        check_in(1, status="in_progress", duration=None, monitor_config=CONFIG),
        check_in(1, status="error", duration=None),
        sessions(1),
        sessions(2),
    ]
    asyncio.run(inbox.put_many(messages))
    assert worker.run_once() == 5
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar_one() == 1
        monitor = get_monitor(conn, 1, "hourly")
        assert monitor is not None and (monitor.status, monitor.schedule) == ("error", "0 * * * *")
        [run] = list_checkins(conn, monitor.id, limit=5)
        assert (run.status, run.environment, run.release) == ("error", "production", "shop@1.0")
        assert run.duration is not None and run.duration >= 0
        totals = session_totals(conn, 1, since=time.time() - 120, until=time.time() + 60)
        assert (totals.started, totals.errored, totals.crashed) == (20, 4, 2)
        assert conn.execute(select(func.count()).select_from(dead_letters)).scalar_one() == 0


def test_unusable_check_ins_and_sessions_are_dead_lettered_with_the_reason(
    setup: tuple[Engine, SqliteInbox, DigestWorker],
) -> None:
    engine, inbox, worker = setup
    messages = [
        check_in(1),  # no such monitor and no config to create it
        check_in(2, status="late"),
        check_in(3, monitor_config={"schedule": "0 * * * *"}),
        sessions(4, b"{not json"),
        sessions(5, orjson.dumps({"release": "x", "environment": "p", "started": -1})),
        check_in(6, monitor_config=CONFIG, check_in_id="f" * 32),  # a good one
    ]
    asyncio.run(inbox.put_many(messages))
    worker.run_once()
    with engine.connect() as conn:
        reasons = {r.event_id: r.reason for r in conn.execute(select(dead_letters))}
        monitor = get_monitor(conn, 1, "hourly")
        assert monitor is not None
        assert [r.checkin_id for r in list_checkins(conn, monitor.id, limit=5)] == ["f" * 32]
    assert reasons == {
        f"{1:032x}": "no monitor 'hourly' and no monitor_config to create it",
        f"{2:032x}": "check-in status 'late' is not one of in_progress, ok, error",
        f"{3:032x}": "check-in monitor_config is not in the shape ingest writes",
        f"{4:032x}": reasons[f"{4:032x}"],
        f"{5:032x}": "session counts are not whole numbers",
    }
    assert reasons[f"{4:032x}"].startswith("not JSON")


def test_the_digest_sweep_writes_missed_runs_without_any_alert_rule(
    setup: tuple[Engine, SqliteInbox, DigestWorker],
) -> None:
    engine, inbox, worker = setup
    asyncio.run(inbox.put_many([check_in(1, monitor_config={**CONFIG, "schedule": "* * * * *"})]))
    worker.run_once()
    with engine.connect() as conn:
        monitor = get_monitor(conn, 1, "hourly")
    assert monitor is not None and monitor.next_expected_at is not None
    deadline = monitor.next_expected_at + 5 * 60
    try:
        clock.pin(deadline)
        worker.sweep()
        clock.pin(deadline + 1)
        worker.sweep()
    finally:
        clock.pin(None)
    with engine.connect() as conn:
        runs = list_checkins(conn, monitor.id, limit=5)
        after = get_monitor(conn, 1, "hourly")
    assert [r.status for r in runs] == ["missed", "ok"]
    assert runs[0].started_at == monitor.next_expected_at
    assert after is not None and after.status == "missed"
    assert after.next_expected_at == monitor.next_expected_at + 60

"""The digest worker: batches, idempotent replay, poison events, transient failures."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, func, select

from faultbox import clock
from faultbox.digest import worker as worker_module
from faultbox.digest.worker import DigestWorker
from faultbox.queue.base import IngestMeta, Kind, NewMessage, Queue
from faultbox.queue.redis_streams import RedisStreams
from faultbox.queue.sqlite_inbox import SqliteInbox
from faultbox.store.db import is_sqlite
from faultbox.store.schema import dead_letters, events, issues
from tests.support import put_sync, seed


def _event(n: int, *, kind: str = Kind.SENTRY_EVENT, payload: bytes | None = None) -> NewMessage:
    body = (
        payload
        if payload is not None
        else orjson.dumps(
            {
                "message": f"order {n} failed",
                "level": "error",
                "logentry": {"message": "order %s failed"},
            }
        )
    )
    return NewMessage(1, kind, f"{n:032x}", time.time(), body, IngestMeta())


@pytest.fixture
def setup(
    engine: Engine, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Engine, Queue, DigestWorker]]:
    """SQLite with the embedded inbox; PostgreSQL with Redis Streams (the scale mode)."""
    project, _ = seed(engine, "http://127.0.0.1:8000")
    assert project.id == 1
    inbox: Queue
    if is_sqlite(engine):
        inbox = SqliteInbox(tmp_path / "queue.sqlite3", max_depth=10_000)
    else:
        redis = request.getfixturevalue("redis_queue")
        inbox = RedisStreams(
            redis["queue_url"],
            name=redis["queue_name"],
            shards=2,
            max_depth=10_000,
            claim_idle_seconds=30,
        )
    worker = DigestWorker(engine, inbox, batch_size=50, max_attempts=3)
    yield engine, inbox, worker
    inbox.close()


def _put(inbox: Queue, messages: list[NewMessage]) -> None:
    put_sync(inbox, messages)


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_a_batch_groups_by_message_template(
    setup: tuple[Engine, Queue, DigestWorker],
) -> None:
    engine, inbox, worker = setup
    _put(inbox, [_event(n) for n in range(120)])
    while worker.run_once():
        pass
    assert _count(engine, events) == 120
    with engine.connect() as conn:
        rows = conn.execute(select(issues.c.times_seen, issues.c.title)).all()
    assert len(rows) == 1 and rows[0].times_seen == 120
    assert rows[0].title.startswith("order ") and rows[0].title.endswith(" failed")
    assert inbox.exact_depth() == 0


def test_replaying_the_same_events_changes_nothing(
    setup: tuple[Engine, Queue, DigestWorker],
) -> None:
    engine, inbox, worker = setup
    _put(inbox, [_event(n) for n in range(10)])
    worker.run_once()
    _put(inbox, [_event(n) for n in range(10)])  # a crash replay, or an SDK resend
    worker.run_once()
    assert _count(engine, events) == 10
    with engine.connect() as conn:
        assert conn.execute(select(issues.c.times_seen)).scalar_one() == 10
    assert worker.stats.duplicates == 10


def test_poison_messages_are_dead_lettered_with_a_reason(
    setup: tuple[Engine, Queue, DigestWorker],
) -> None:
    engine, inbox, worker = setup
    _put(
        inbox,
        [
            _event(1),
            _event(2, payload=b"[1, 2, 3]"),
            _event(3, payload=b"{not json"),
            _event(4, kind=Kind.USER_REPORT, payload=b'{"name": "x"}'),
            _event(5),
        ],
    )
    worker.run_once()
    assert _count(engine, events) == 2  # the good ones were not held back
    with engine.connect() as conn:
        letters = {r.event_id: r.reason for r in conn.execute(select(dead_letters))}
    assert "must be a JSON object" in letters[f"{2:032x}"]
    assert "not valid JSON" in letters[f"{3:032x}"]
    assert "comments" in letters[f"{4:032x}"]
    assert inbox.exact_depth() == 0


def test_a_failing_step_is_retried_then_dead_lettered(
    setup: tuple[Engine, Queue, DigestWorker], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, inbox, worker = setup
    real = worker_module.process_event
    calls: list[str] = []

    def flaky(message, config):  # type: ignore[no-untyped-def]
        calls.append(message.event_id)
        if message.event_id == f"{7:032x}":
            raise RuntimeError("enricher exploded")
        return real(message, config)

    monkeypatch.setattr(worker_module, "process_event", flaky)
    _put(inbox, [_event(6), _event(7), _event(8)])
    for _ in range(3):
        worker.run_once()
    assert _count(engine, events) == 2
    with engine.connect() as conn:
        letter = conn.execute(select(dead_letters.c.reason, dead_letters.c.attempts)).one()
    assert "enricher exploded" in letter.reason and letter.attempts == 3
    assert inbox.exact_depth() == 0


def test_database_outage_releases_the_batch_without_losing_it(
    setup: tuple[Engine, Queue, DigestWorker], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    engine, inbox, worker = setup
    _put(inbox, [_event(n) for n in range(5)])
    real = worker_module.write_transaction

    def down(_engine):  # type: ignore[no-untyped-def]
        raise OperationalError("BEGIN", {}, Exception("server closed the connection"))

    monkeypatch.setattr(worker_module, "write_transaction", down)
    with pytest.raises(OperationalError):
        worker.run_once()
    assert inbox.exact_depth() == 5 and _count(engine, events) == 0
    monkeypatch.setattr(worker_module, "write_transaction", real)
    worker.run_once()
    assert _count(engine, events) == 5 and inbox.exact_depth() == 0


def test_one_worker_of_many_sweeps_each_period(
    setup: tuple[Engine, Queue, DigestWorker], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, inbox, first = setup
    second = DigestWorker(engine, inbox, batch_size=50, max_attempts=3)
    swept: list[DigestWorker] = []
    monkeypatch.setattr(DigestWorker, "sweep", lambda self: swept.append(self) or 0)
    first._sweep_if_due()
    second._sweep_if_due()
    assert swept == [first]
    # The next period: the lease has lapsed, and whichever worker comes first sweeps.
    monkeypatch.setattr(clock, "_pinned", time.time() + 3600)  # pinned for this test only
    first._next_sweep = second._next_sweep = 0.0
    second._sweep_if_due()
    first._sweep_if_due()
    assert swept == [first, second]

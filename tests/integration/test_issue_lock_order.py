"""A batch updates its issues' counters in issue-id order whatever order its events
came in: workers committing side by side then take the rows' locks in one order and
cannot deadlock (41 deadlocks in one benchmark run with 2-4 workers before)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, event

from faultbox.digest.worker import DigestWorker
from faultbox.queue.base import IngestMeta, Kind, NewMessage
from faultbox.queue.sqlite_inbox import SqliteInbox
from tests.support import put_sync, seed

JOBS = "alpha bravo charlie delta echo foxtrot".split()


def _message(n: int, job: str) -> NewMessage:
    body = orjson.dumps(
        {
            "message": f"job {job} failed for order {n}",
            "level": "error",
            "logentry": {"message": f"job {job} failed for order %s"},
        }
    )
    return NewMessage(1, Kind.SENTRY_EVENT, f"{n:032x}", time.time(), body, IngestMeta())


def test_issue_counters_are_updated_in_id_order(engine: Engine, tmp_path: Path) -> None:
    seed(engine, "http://127.0.0.1:8000")
    inbox = SqliteInbox(tmp_path / "queue.sqlite3", max_depth=1000)
    worker = DigestWorker(engine, inbox, batch_size=100, max_attempts=3)
    put_sync(inbox, [_message(n, job) for n, job in enumerate(JOBS)])
    worker.run_once()  # issue ids follow JOBS
    updated: list[list[int]] = []

    def watch(_c: Any, _cur: Any, statement: str, _p: Any, context: Any, _many: bool) -> None:
        if statement.startswith("UPDATE issues SET") and "times_seen=(issues.times_seen +" in (
            statement
        ):
            # The bound values by name, one dict per row, on both drivers.
            updated.append([int(row["b_id"]) for row in context.compiled_parameters])

    event.listen(engine, "before_cursor_execute", watch)
    try:
        later = [_message(100 + n, job) for n, job in enumerate(reversed(JOBS))]
        put_sync(inbox, later)  # newest issue first
        worker.run_once()
    finally:
        event.remove(engine, "before_cursor_execute", watch)
        inbox.close()
    assert len(updated) == 1 and len(updated[0]) == len(JOBS)
    assert updated[0] == sorted(updated[0])

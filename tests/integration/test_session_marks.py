"""Each session counts once as started and once by its outcome, whatever number of
copies of its updates a batch or several batches carry (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from faultbox.store.db import read_connection, write_transaction
from faultbox.store.schema import session_marks
from faultbox.store.session_counts import (
    MARK_DAYS,
    SessionCounts,
    SessionTotals,
    add_session_counts,
    forget_session_marks,
    session_totals,
)
from tests.support import seed

T0 = 1_790_000_000.0
DAY = 86_400.0


def _update(project_id: int, sid: str | None, seen_at: float = T0, **counts: int) -> SessionCounts:
    return SessionCounts(project_id, "production", "shop@1", seen_at // 60 * 60, sid=sid,
                         seen_at=seen_at, **counts)  # fmt: skip


def _totals(engine: Engine, project_id: int) -> SessionTotals:
    with read_connection(engine) as conn:
        return session_totals(conn, project_id, since=T0 - 30 * DAY, until=T0 + 30 * DAY)


def test_copies_in_one_batch_and_across_batches_count_once(engine: Engine) -> None:
    project, _ = seed(engine, "http://127.0.0.1:8000")
    pid = project.id
    long_sid = "s" * 300  # longer than the column: kept as its hash
    first = [
        _update(pid, "a", started=1, crashed=1),
        _update(pid, "a", started=1, crashed=1),  # the same update again, same batch
        _update(pid, "b", started=1),
        _update(pid, long_sid, started=1),
        _update(pid, None, started=5, errored=1),  # an aggregate: no id, always counted
    ]
    with write_transaction(engine) as conn:
        add_session_counts(conn, first)
    second = [
        _update(pid, "a", T0 + 90, started=1, crashed=1),  # a batch replayed later
        _update(pid, "b", T0 + 90, started=1),
        _update(pid, "b", T0 + 90, errored=1),  # b ends now: its outcome counts
        _update(pid, long_sid, T0 + 90, started=1),
        _update(pid, None, T0 + 90, started=5, errored=1),
    ]
    with write_transaction(engine) as conn:
        add_session_counts(conn, second)
    assert _totals(engine, pid) == SessionTotals(started=13, errored=3, crashed=1, abnormal=0)


def test_marks_are_forgotten_after_a_week(engine: Engine) -> None:
    project, _ = seed(engine, "http://127.0.0.1:8000")
    with write_transaction(engine) as conn:
        add_session_counts(conn, [_update(project.id, "old", started=1)])
        add_session_counts(conn, [_update(project.id, "new", T0 + DAY, started=1)])
    with write_transaction(engine) as conn:
        assert forget_session_marks(conn, T0 + MARK_DAYS * DAY - 1) == 0
        assert forget_session_marks(conn, T0 + MARK_DAYS * DAY + 1) == 1
    with read_connection(engine) as conn:
        left = conn.execute(select(session_marks.c.sid, func.count()).group_by("sid")).all()
    assert [tuple(r) for r in left] == [("new", 1)]

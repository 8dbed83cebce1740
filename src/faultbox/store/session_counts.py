"""Release-health session counts per project, environment, release and minute: the
denominator of a crash-free rate (digest writes, alerts read).

A ``session`` update names its session (``sid``): it counts as started once and by its
outcome once, however often it arrives (an SDK resending after a lost answer, a batch
replayed after a crash). ``session_marks`` remembers what was counted, for a week.
Aggregates (``sessions`` items) name no session and are counted as they come.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace

from sqlalchemy import Connection, delete, func, select

from faultbox.store.dialect import upsert
from faultbox.store.schema import session_counts, session_marks

MARK_DAYS = 7  # a resend comes within minutes; an SDK's disk buffer may hold it days


@dataclass(frozen=True, slots=True)
class SessionCounts:
    project_id: int
    environment: str
    release: str
    bucket: float  # minute start, epoch seconds
    started: int = 0
    errored: int = 0
    crashed: int = 0
    abnormal: int = 0
    sid: str | None = None  # a single session's update; None: an aggregate
    seen_at: float = 0.0  # when it arrived (for forgetting the marks)


@dataclass(frozen=True, slots=True)
class SessionTotals:
    started: int
    errored: int
    crashed: int
    abnormal: int


_COUNTS = ("started", "errored", "crashed", "abnormal")
_KEY = ("project_id", "environment", "release", "bucket")


def add_session_counts(conn: Connection, counts: Iterable[SessionCounts]) -> None:
    """Add to the minute's counters (rows of the same key are summed first); a session
    already counted as started or ended adds nothing more for that."""
    merged: dict[tuple[int, str, str, float], list[int]] = {}
    for c in (_first_time(conn, c) if c.sid else c for c in counts):
        key = (c.project_id, c.environment, c.release, c.bucket)
        totals = merged.setdefault(key, [0, 0, 0, 0])
        for i, n in enumerate((c.started, c.errored, c.crashed, c.abnormal)):
            totals[i] += n
    rows = [
        {**dict(zip(_KEY, key, strict=True)), **dict(zip(_COUNTS, totals, strict=True))}
        for key, totals in sorted(merged.items())
        if any(totals)
    ]
    if not rows:
        return
    stmt = upsert(conn, session_counts)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(_KEY),
        set_={name: session_counts.c[name] + stmt.excluded[name] for name in _COUNTS},
    )
    conn.execute(stmt, rows)


def _first_time(conn: Connection, c: SessionCounts) -> SessionCounts:
    """``c`` without what its session has already been counted for. One INSERT … ON
    CONFLICT DO NOTHING RETURNING per mark: a returned row says this is the first time,
    even with another worker counting a copy of the update at the same moment (the
    row count is no help: psycopg reports -1 for it)."""
    assert c.sid is not None
    sid = c.sid if len(c.sid) <= 64 else hashlib.sha256(c.sid.encode()).hexdigest()
    ended = bool(c.errored or c.crashed or c.abnormal)
    for mark, present in (("started", bool(c.started)), ("ended", ended)):
        if not present:
            continue
        stmt = upsert(conn, session_marks).on_conflict_do_nothing()
        row = {"project_id": c.project_id, "sid": sid, "mark": mark, "seen_at": c.seen_at}
        if conn.execute(stmt.returning(session_marks.c.mark), row).first() is not None:
            continue
        if mark == "started":
            c = replace(c, started=0)
        else:
            c = replace(c, errored=0, crashed=0, abnormal=0)
    return c


def forget_session_marks(conn: Connection, now: float) -> int:
    """Drop the marks older than :data:`MARK_DAYS` (the digest's sweep calls it)."""
    cutoff = now - MARK_DAYS * 86400
    return conn.execute(delete(session_marks).where(session_marks.c.seen_at < cutoff)).rowcount


def session_totals(
    conn: Connection,
    project_id: int,
    *,
    since: float,
    until: float,
    environment: str | None = None,
    release: str | None = None,
) -> SessionTotals:
    """Sums over the minutes in ``(since, until]``."""
    where = [
        session_counts.c.project_id == project_id,
        session_counts.c.bucket > since,
        session_counts.c.bucket <= until,
    ]
    if environment is not None:
        where.append(session_counts.c.environment == environment)
    if release is not None:
        where.append(session_counts.c.release == release)
    row = conn.execute(
        select(*(func.coalesce(func.sum(session_counts.c[n]), 0) for n in _COUNTS)).where(*where)
    ).one()
    # PostgreSQL sums integers into NUMERIC/BIGINT; callers want plain ints.
    return SessionTotals(*(int(v) for v in row))

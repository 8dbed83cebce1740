"""Release-health session counts per project, environment, release and minute: the
denominator of a crash-free rate (digest writes, alerts read)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from faultbox.store.dialect import upsert
from faultbox.store.schema import session_counts


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


@dataclass(frozen=True, slots=True)
class SessionTotals:
    started: int
    errored: int
    crashed: int
    abnormal: int


_COUNTS = ("started", "errored", "crashed", "abnormal")
_KEY = ("project_id", "environment", "release", "bucket")


def add_session_counts(conn: Connection, counts: Iterable[SessionCounts]) -> None:
    """Add to the minute's counters (rows of the same key are summed first)."""
    merged: dict[tuple[int, str, str, float], list[int]] = {}
    for c in counts:
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

"""Moving through an issue's events: latest, oldest, and the neighbours of one event."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, or_, select

from faultbox.store.schema import events, issues


@dataclass(frozen=True, slots=True)
class EventNeighbours:
    latest: str | None
    oldest: str | None
    newer: str | None  # the next event in time
    older: str | None  # the previous one


def _first(conn: Connection, query: object) -> str | None:
    value = conn.execute(query.limit(1)).scalar()  # type: ignore[attr-defined]
    return str(value) if value is not None else None


def pick_event(
    conn: Connection, issue_id: int, event_id: str | None
) -> tuple[str, float, int] | None:
    """(event id, timestamp, row id) of ``event_id`` in the issue, or of its latest event."""
    query = select(events.c.event_id, events.c.timestamp, events.c.id).where(
        events.c.issue_id == issue_id
    )
    if event_id is not None:
        # Through the (project_id, event_id) unique index: on the issue's index alone a
        # busy issue's old event is a scan of its events (290 ms for 45 000 of them).
        project_id = select(issues.c.project_id).where(issues.c.id == issue_id)
        query = query.where(
            events.c.project_id == project_id.scalar_subquery(), events.c.event_id == event_id
        )
    row = conn.execute(
        query.order_by(events.c.timestamp.desc(), events.c.id.desc()).limit(1)
    ).first()
    return (row.event_id, float(row.timestamp), int(row.id)) if row is not None else None


def neighbours(conn: Connection, issue_id: int, timestamp: float, row_id: int) -> EventNeighbours:
    """Ordered by (timestamp, row id), the issue index's order, so every step is a seek."""
    base = select(events.c.event_id).where(events.c.issue_id == issue_id)
    ts, rid = events.c.timestamp, events.c.id
    # The redundant bound (>= / <=) makes the step a range seek: SQLite cannot derive
    # one from the OR of bound parameters and scanned the issue's events (20 ms for
    # 45 000 of them).
    newer = base.where(ts >= timestamp, or_(ts > timestamp, and_(ts == timestamp, rid > row_id)))
    older = base.where(ts <= timestamp, or_(ts < timestamp, and_(ts == timestamp, rid < row_id)))
    return EventNeighbours(
        latest=_first(conn, base.order_by(ts.desc(), rid.desc())),
        oldest=_first(conn, base.order_by(ts, rid)),
        newer=_first(conn, newer.order_by(ts, rid)),
        older=_first(conn, older.order_by(ts.desc(), rid.desc())),
    )

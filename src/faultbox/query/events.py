"""Read models for events: lists (per project or issue) and the full normalized event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from faultbox.query.cursor import decode_cursor, encode_cursor
from faultbox.query.timefmt import iso
from faultbox.store.payload import unpack
from faultbox.store.schema import events, issues, projects
from faultbox.store.user_reports import reports_for_event


def _summary(row: Any) -> dict[str, Any]:
    return {
        "event_id": row.event_id,
        "issue_id": row.issue_id,
        "project_id": row.project_id,
        "title": row.title,
        "level": row.level,
        "platform": row.platform,
        "timestamp": iso(row.timestamp),
        "received_at": iso(row.received_at),
        "release": row.release,
        "environment": row.environment,
        "service": row.service,
    }


_SUMMARY_COLUMNS = (
    events.c.id,
    events.c.event_id,
    events.c.issue_id,
    events.c.project_id,
    events.c.title,
    events.c.level,
    events.c.platform,
    events.c.timestamp,
    events.c.received_at,
    events.c.release,
    events.c.environment,
    events.c.service,
)


def list_events(
    conn: Connection,
    *,
    project_id: int | None = None,
    issue_id: int | None = None,
    since: float | None = None,
    until: float | None = None,
    cursor: str | None = None,
    limit: int = 50,
    full: bool = False,
) -> tuple[list[dict[str, Any]], str | None]:
    columns = _SUMMARY_COLUMNS + ((events.c.payload,) if full else ())
    query = select(*columns)
    if project_id is not None:
        query = query.where(events.c.project_id == project_id)
    if issue_id is not None:
        query = query.where(events.c.issue_id == issue_id)
    if since is not None:
        query = query.where(events.c.timestamp >= since)
    if until is not None:
        query = query.where(events.c.timestamp <= until)
    if cursor:
        value, last_id = decode_cursor(cursor)
        query = query.where(
            or_(
                events.c.timestamp < value, and_(events.c.timestamp == value, events.c.id < last_id)
            )
        )
    rows = conn.execute(
        query.order_by(events.c.timestamp.desc(), events.c.id.desc()).limit(limit + 1)
    ).all()
    page = rows[:limit]
    out = []
    for row in page:
        item = _summary(row)
        if full:
            item["event"] = unpack(row.payload)
        out.append(item)
    next_cursor = encode_cursor(page[-1].timestamp, page[-1].id) if len(rows) > limit else None
    return out, next_cursor


def get_event(conn: Connection, event_id: str, project_ids: set[int]) -> dict[str, Any] | None:
    row = conn.execute(
        select(*_SUMMARY_COLUMNS, events.c.payload, issues.c.short_id)
        .join(issues, issues.c.id == events.c.issue_id)
        .where(events.c.event_id == event_id, events.c.project_id.in_(project_ids))
        .limit(1)
    ).first()
    if row is None:
        return None
    data = _summary(row)
    data["issue_short_id"] = f"ERR-{row.short_id}"
    normalized = unpack(row.payload)
    for key in ("project_id", "event_id", "timestamp", "received_at"):
        normalized.pop(key, None)
    data.update(normalized)
    data["timestamp"] = iso(row.timestamp)
    data["received_at"] = iso(row.received_at)
    data["user_reports"] = reports_for_event(conn, row.project_id, row.event_id)
    return data


@dataclass(frozen=True, slots=True)
class StoredEvent:
    project_id: int
    issue_id: int
    issue_short_id: str
    grouping_hash: str
    in_app_rules: str | None  # the project's, as stored (JSON text)
    data: dict[str, Any]  # the normalized event as the digest stored it


def stored_event(conn: Connection, event_id: str, project_ids: set[int]) -> StoredEvent | None:
    """The normalized event, for code that works on the model (regrouping, diffs)."""
    row = conn.execute(
        select(
            events.c.project_id,
            events.c.issue_id,
            issues.c.short_id,
            events.c.grouping_hash,
            projects.c.in_app_rules,
            events.c.payload,
        )
        .join(issues, issues.c.id == events.c.issue_id)
        .join(projects, projects.c.id == events.c.project_id)
        .where(events.c.event_id == event_id, events.c.project_id.in_(project_ids))
        .limit(1)
    ).first()
    if row is None:
        return None
    return StoredEvent(
        int(row.project_id),
        int(row.issue_id),
        f"ERR-{row.short_id}",
        row.grouping_hash,
        row.in_app_rules,
        unpack(row.payload),
    )

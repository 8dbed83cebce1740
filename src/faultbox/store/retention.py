"""Retention's reads and writes: each project's retention days, expired events deleted
a batch at a time, user feedback that outlived its events.

Only stored events go. Issue aggregates stay as they are: an issue's times_seen,
users_seen, first and last seen, its hourly counts (issue_hourly), tag counts
(issue_tags), users (issue_users), activity and search document keep its whole
history after its events are gone. User feedback (user_reports) hangs off an event
id: it goes with its event, and once it is older than every event its project keeps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, TableClause, column, delete, func, select, table, update

from faultbox.store.schema import events, job_leases, projects, user_reports

# A level class shares one retention setting.
INFO_LEVELS = ("debug", "info")
ERROR_LEVELS = ("warning", "error", "fatal")
LEVEL_CLASSES: dict[str, tuple[str, ...]] = {"info": INFO_LEVELS, "error": ERROR_LEVELS}
_CHUNK = 400  # stays below SQLite's bound-parameter limit

# PostgreSQL's default partition of events (store/partitions.py), addressed directly.
_default_partition = table(
    "events_default",
    column("id"),
    column("project_id"),
    column("event_id"),
    column("level"),
    column("received_at"),
)


@dataclass(frozen=True, slots=True)
class ProjectRetention:
    project_id: int
    slug: str
    info_days: int | None  # the project's own setting; None: the server's default
    error_days: int | None


def project_retentions(conn: Connection, project_id: int | None = None) -> list[ProjectRetention]:
    query = select(
        projects.c.id,
        projects.c.slug,
        projects.c.retention_info_days,
        projects.c.retention_error_days,
    ).order_by(projects.c.id)
    if project_id is not None:
        query = query.where(projects.c.id == project_id)
    return [
        ProjectRetention(int(r.id), str(r.slug), r.retention_info_days, r.retention_error_days)
        for r in conn.execute(query)
    ]


def set_project_retention(
    conn: Connection, project_id: int, *, info_days: int | None, error_days: int | None
) -> None:
    conn.execute(
        update(projects)
        .where(projects.c.id == project_id)
        .values(retention_info_days=info_days, retention_error_days=error_days)
    )


def level_class(level: str) -> str:
    """The class a stored level belongs to (anything not debug/info is kept as long
    as errors, the safe side)."""
    return "info" if level in INFO_LEVELS else "error"


def _source(default_partition_only: bool) -> Any:
    return _default_partition if default_partition_only else events


def _expired(
    source: TableClause, project_id: int, levels: Sequence[str], before: float
) -> list[Any]:
    return [
        source.c.project_id == project_id,
        source.c.level.in_(levels),
        source.c.received_at < before,
    ]


def count_expired(
    conn: Connection,
    project_id: int,
    levels: Sequence[str],
    before: float,
    *,
    default_partition_only: bool = False,
) -> int:
    source = _source(default_partition_only)
    query = select(func.count()).select_from(source)
    return int(
        conn.execute(query.where(*_expired(source, project_id, levels, before))).scalar_one()
    )


def delete_expired(
    conn: Connection,
    project_id: int,
    levels: Sequence[str],
    before: float,
    limit: int,
    *,
    default_partition_only: bool = False,
) -> int:
    """Delete up to ``limit`` of the project's events of ``levels`` received before
    ``before`` (through ix_events_project_id_level_received_at), and their user
    feedback; returns how many events."""
    source = _source(default_partition_only)
    expired = _expired(source, project_id, levels, before)
    if conn.dialect.name == "sqlite":
        victims = select(source.c.id).where(*expired).limit(limit)
        gone = conn.execute(
            delete(source).where(source.c.id.in_(victims)).returning(source.c.event_id)
        )
    else:
        # The ids as values and the span of their received_at: PostgreSQL then reads
        # only the months that hold them, through each one's primary key (with a
        # subquery it hash-joins against every month).
        rows = conn.execute(select(source.c.id, source.c.received_at).where(*expired).limit(limit))
        found = rows.all()
        if not found:
            return 0
        span = [r.received_at for r in found]
        gone = conn.execute(
            delete(source)
            .where(
                source.c.id.in_([r.id for r in found]),
                source.c.received_at >= min(span),
                source.c.received_at <= max(span),
            )
            .returning(source.c.event_id)
        )
    event_ids = [str(e) for e in gone.scalars()]
    for start in range(0, len(event_ids), _CHUNK):
        conn.execute(
            delete(user_reports).where(
                user_reports.c.project_id == project_id,
                user_reports.c.event_id.in_(event_ids[start : start + _CHUNK]),
            )
        )
    return len(event_ids)


def count_old_user_reports(conn: Connection, project_id: int, before: float) -> int:
    query = select(func.count()).select_from(user_reports)
    return int(conn.execute(query.where(*_old_reports(project_id, before))).scalar_one())


def delete_old_user_reports(conn: Connection, project_id: int, before: float, limit: int) -> int:
    """Feedback older than every event the project keeps (its event is gone, or never
    arrived): up to ``limit`` rows; returns how many."""
    victims = select(user_reports.c.id).where(*_old_reports(project_id, before)).limit(limit)
    result = conn.execute(delete(user_reports).where(user_reports.c.id.in_(victims)))
    return int(result.rowcount or 0)


def _old_reports(project_id: int, before: float) -> list[Any]:
    return [user_reports.c.project_id == project_id, user_reports.c.created_at < before]


def lease_until(conn: Connection, name: str) -> float | None:
    """When a job's lease ends (its next run, for a job that keeps it between runs)."""
    until = conn.execute(select(job_leases.c.until).where(job_leases.c.name == name)).scalar()
    return float(until) if until is not None else None

"""Cron and heartbeat monitors and their check-ins (runs).

The digest writes check-ins (``lifecycle/monitors.py`` decides what they mean),
the API and dashboard manage monitors and read runs, the alert sweep writes the
missed and timed-out runs it finds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, delete, func, or_, select, update

from faultbox.store.schema import monitor_checkins, monitors

FINISHED = ("ok", "error", "missed", "timeout")
FAILED = ("error", "missed", "timeout")


@dataclass(frozen=True, slots=True)
class MonitorRow:
    id: int
    project_id: int
    slug: str
    name: str
    schedule_type: str
    schedule: str
    timezone: str
    checkin_margin_minutes: int
    max_runtime_minutes: int
    status: str
    enabled: bool
    last_checkin_at: float | None
    next_expected_at: float | None
    created_at: float
    updated_at: float


@dataclass(frozen=True, slots=True)
class CheckInRow:
    id: int
    monitor_id: int
    checkin_id: str
    status: str
    environment: str | None
    release: str | None
    started_at: float
    finished_at: float | None
    duration: float | None
    timeout_at: float | None
    received_at: float


def _monitor(row: RowMapping) -> MonitorRow:
    return MonitorRow(**{f: row[f] for f in MonitorRow.__slots__})


def _checkin(row: RowMapping) -> CheckInRow:
    return CheckInRow(**{f: row[f] for f in CheckInRow.__slots__})


# -- monitors ------------------------------------------------------------------------


def get_monitor(conn: Connection, project_id: int, slug: str) -> MonitorRow | None:
    row = conn.execute(
        select(monitors).where(monitors.c.project_id == project_id, monitors.c.slug == slug)
    ).first()
    return _monitor(row._mapping) if row is not None else None


def monitor_exists(conn: Connection, project_id: int, slug: str) -> bool:
    found = conn.execute(
        select(monitors.c.id).where(monitors.c.project_id == project_id, monitors.c.slug == slug)
    ).first()
    return found is not None


def list_monitors(conn: Connection, project_id: int) -> list[MonitorRow]:
    rows = conn.execute(
        select(monitors).where(monitors.c.project_id == project_id).order_by(monitors.c.slug)
    )
    return [_monitor(r._mapping) for r in rows]


def create_monitor(
    conn: Connection, *, project_id: int, slug: str, now: float, **config: Any
) -> MonitorRow:
    """``config``: name, schedule_type, schedule, timezone, checkin_margin_minutes,
    max_runtime_minutes, enabled."""
    values = {"name": slug, "status": "new", "enabled": True, **config}
    conn.execute(
        monitors.insert().values(
            project_id=project_id, slug=slug, created_at=now, updated_at=now, **values
        )
    )
    created = get_monitor(conn, project_id, slug)
    assert created is not None
    return created


def update_monitor(conn: Connection, monitor_id: int, *, now: float, **values: Any) -> None:
    conn.execute(
        update(monitors).where(monitors.c.id == monitor_id).values(updated_at=now, **values)
    )


def delete_monitor(conn: Connection, monitor_id: int) -> None:
    # Check-ins go with it (ON DELETE CASCADE, deleted explicitly for SQLite
    # connections opened without foreign keys).
    conn.execute(delete(monitor_checkins).where(monitor_checkins.c.monitor_id == monitor_id))
    conn.execute(delete(monitors).where(monitors.c.id == monitor_id))


def overdue_monitors(conn: Connection, now: float, project_id: int | None) -> list[MonitorRow]:
    """Enabled monitors whose next check-in is later than its margin allows."""
    deadline = monitors.c.next_expected_at + monitors.c.checkin_margin_minutes * 60
    query = select(monitors).where(
        monitors.c.enabled.is_(True),
        monitors.c.next_expected_at < now,  # the index narrows; the margin decides
        deadline < now,
    )
    if project_id is not None:
        query = query.where(monitors.c.project_id == project_id)
    return [_monitor(r._mapping) for r in conn.execute(query.order_by(monitors.c.id))]


# -- check-ins -----------------------------------------------------------------------


def get_checkin(conn: Connection, monitor_id: int, checkin_id: str) -> CheckInRow | None:
    row = conn.execute(
        select(monitor_checkins).where(
            monitor_checkins.c.monitor_id == monitor_id,
            monitor_checkins.c.checkin_id == checkin_id,
        )
    ).first()
    return _checkin(row._mapping) if row is not None else None


def add_checkin(conn: Connection, monitor_id: int, **values: Any) -> None:
    conn.execute(monitor_checkins.insert().values(monitor_id=monitor_id, **values))


def finish_checkin(conn: Connection, row_id: int, **values: Any) -> None:
    conn.execute(update(monitor_checkins).where(monitor_checkins.c.id == row_id).values(**values))


def overran_checkins(
    conn: Connection, now: float, project_id: int | None
) -> list[tuple[MonitorRow, CheckInRow]]:
    """Runs still in progress after their maximum runtime, with their monitor."""
    query = (
        select(monitor_checkins)
        .join(monitors, monitors.c.id == monitor_checkins.c.monitor_id)
        .where(
            monitor_checkins.c.status == "in_progress",
            monitor_checkins.c.timeout_at.is_not(None),
            monitor_checkins.c.timeout_at < now,
            monitors.c.enabled.is_(True),
        )
        .order_by(monitor_checkins.c.id)
    )
    if project_id is not None:
        query = query.where(monitors.c.project_id == project_id)
    runs = [_checkin(r._mapping) for r in conn.execute(query)]
    if not runs:
        return []
    owners = {
        r.id: _monitor(r._mapping)
        for r in conn.execute(
            select(monitors).where(monitors.c.id.in_({run.monitor_id for run in runs}))
        )
    }
    return [(owners[run.monitor_id], run) for run in runs]


def failed_checkins(
    conn: Connection, project_id: int, *, since: float, slug: str | None = None
) -> list[tuple[str, str, CheckInRow]]:
    """Failed runs (error, missed, timeout) of a project's monitors whose failure is
    known since ``since`` (its ``finished_at``: the error check-in, the end of the
    margin, the end of the maximum runtime), with their monitor's slug and time zone."""
    query = (
        select(monitors.c.slug, monitors.c.timezone, monitor_checkins)
        .join(monitors, monitors.c.id == monitor_checkins.c.monitor_id)
        .where(
            monitors.c.project_id == project_id,
            monitor_checkins.c.status.in_(FAILED),
            monitor_checkins.c.finished_at >= since,
        )
        .order_by(monitor_checkins.c.id)
    )
    if slug is not None:
        query = query.where(monitors.c.slug == slug)
    return [(row.slug, row.timezone, _checkin(row._mapping)) for row in conn.execute(query)]


def list_checkins(
    conn: Connection, monitor_id: int, *, limit: int, after: tuple[float, int] | None = None
) -> list[CheckInRow]:
    """Newest first, keyset-paged on (started_at, id)."""
    query = select(monitor_checkins).where(monitor_checkins.c.monitor_id == monitor_id)
    if after is not None:
        started, row_id = after
        query = query.where(
            or_(
                monitor_checkins.c.started_at < started,
                and_(monitor_checkins.c.started_at == started, monitor_checkins.c.id < row_id),
            )
        )
    rows = conn.execute(
        query.order_by(monitor_checkins.c.started_at.desc(), monitor_checkins.c.id.desc()).limit(
            limit
        )
    )
    return [_checkin(r._mapping) for r in rows]


def checkin_count(conn: Connection, monitor_id: int) -> int:
    return int(
        conn.execute(
            select(func.count()).where(monitor_checkins.c.monitor_id == monitor_id)
        ).scalar_one()
    )

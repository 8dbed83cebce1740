"""What a cron check-in means for its monitor, and which runs were missed or overran.

Semantics follow Sentry's crons:

* ``monitor_config`` on a check-in creates the monitor or updates its schedule.
* A check-in with a new ``check_in_id`` starts a run: ``in_progress`` opens it (it
  must finish within ``max_runtime`` minutes), ``ok``/``error`` is a run that began
  ``duration`` seconds ago and just ended. Either way the monitor now expects its
  next check-in at the schedule's next time after this one.
* ``ok``/``error`` with the id of an open run closes it (its duration is the one
  sent, or the time since it started). A finished run never changes again: a
  repeated closing check-in, or one after the run was marked timed out, is ignored.
* The monitor expects nothing before its first check-in. Once one is expected,
  no check-in by ``next_expected_at + checkin_margin`` is a missed run (written as
  a check-in with status ``missed``, one per expected time), and a run still
  ``in_progress`` past ``started_at + max_runtime`` is marked ``timeout``. Both
  become the monitor's status, as ``ok`` and ``error`` do.
* A disabled monitor ignores check-ins and is never missed.

Check-in times are the ingest's receive times, so a digest backlog does not make a
check-in late; but a backlog longer than the margin can let the sweep mark a run
missed before its queued check-in is read (which then shows as a separate run).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from faultbox.schedules import Schedule
from faultbox.store import monitors as store
from faultbox.store.monitors import MonitorRow

log = logging.getLogger(__name__)

# After a long outage, at most this many missed runs are written per monitor and sweep;
# the monitor then expects its next run after now.
MAX_MISSED_PER_SWEEP = 100


@dataclass(frozen=True, slots=True)
class CheckIn:
    project_id: int
    monitor_slug: str
    check_in_id: str
    status: str  # in_progress, ok, error
    received_at: float
    duration: float | None = None
    environment: str | None = None
    release: str | None = None
    config: dict[str, Any] | None = field(default=None)  # monitor columns


def schedule_of(monitor: MonitorRow) -> Schedule:
    return Schedule(monitor.schedule_type, monitor.schedule, monitor.timezone)


def record_check_in(conn: Connection, check_in: CheckIn) -> str | None:
    """Store one check-in; returns why it cannot be stored (an unknown monitor and no
    ``monitor_config``), or None."""
    c = check_in
    at = c.received_at
    monitor = store.get_monitor(conn, c.project_id, c.monitor_slug)
    if c.config is not None:
        if monitor is None:
            monitor = store.create_monitor(
                conn, project_id=c.project_id, slug=c.monitor_slug, now=at, **c.config
            )
        elif any(getattr(monitor, k) != v for k, v in c.config.items()):
            store.update_monitor(conn, monitor.id, now=at, **c.config)
            monitor = store.get_monitor(conn, c.project_id, c.monitor_slug)
            assert monitor is not None
    if monitor is None:
        return f"no monitor {c.monitor_slug!r} and no monitor_config to create it"
    if not monitor.enabled:
        log.info("check-in for disabled monitor %s dropped", monitor.slug)
        return None
    run = store.get_checkin(conn, monitor.id, c.check_in_id)
    if run is not None:
        if run.status == "in_progress" and c.status != "in_progress":
            duration = c.duration if c.duration is not None else max(0.0, at - run.started_at)
            store.finish_checkin(
                conn,
                run.id,
                status=c.status,
                finished_at=at,
                duration=duration,
                environment=run.environment or c.environment,
                release=run.release or c.release,
            )
            store.update_monitor(conn, monitor.id, now=at, status=c.status, last_checkin_at=at)
        return None
    started = at if c.status == "in_progress" else at - (c.duration or 0.0)
    store.add_checkin(
        conn,
        monitor.id,
        checkin_id=c.check_in_id,
        status=c.status,
        environment=c.environment,
        release=c.release,
        started_at=started,
        finished_at=None if c.status == "in_progress" else at,
        duration=None if c.status == "in_progress" else (c.duration or 0.0),
        timeout_at=at + monitor.max_runtime_minutes * 60 if c.status == "in_progress" else None,
        received_at=at,
    )
    status = monitor.status if c.status == "in_progress" else c.status
    store.update_monitor(
        conn,
        monitor.id,
        now=at,
        status=status,
        last_checkin_at=at,
        next_expected_at=schedule_of(monitor).next_after(at),
    )
    return None


def mark_overdue(conn: Connection, now: float, project_id: int | None = None) -> int:
    """Write the missed and timed-out runs due at ``now``; returns how many."""
    written = 0
    for monitor in store.overdue_monitors(conn, now, project_id):
        written += _mark_missed(conn, monitor, now)
    for monitor, run in store.overran_checkins(conn, now, project_id):
        assert run.timeout_at is not None
        store.finish_checkin(conn, run.id, status="timeout", finished_at=run.timeout_at)
        store.update_monitor(conn, monitor.id, now=now, status="timeout")
        written += 1
    return written


def _mark_missed(conn: Connection, monitor: MonitorRow, now: float) -> int:
    schedule = schedule_of(monitor)
    margin = monitor.checkin_margin_minutes * 60.0
    expected = monitor.next_expected_at
    written = 0
    while expected is not None and expected + margin < now:
        if written == MAX_MISSED_PER_SWEEP:
            expected = schedule.next_after(now)
            break
        checkin_id = f"missed-{expected:.0f}"
        if store.get_checkin(conn, monitor.id, checkin_id) is None:
            store.add_checkin(
                conn,
                monitor.id,
                checkin_id=checkin_id,
                status="missed",
                started_at=expected,
                finished_at=expected + margin,
                received_at=now,
            )
            written += 1
        expected = schedule.next_after(expected)
    store.update_monitor(conn, monitor.id, now=now, status="missed", next_expected_at=expected)
    return written

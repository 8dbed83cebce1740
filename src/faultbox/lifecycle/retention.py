"""Retention: events older than their project's retention for their level class go
(debug/info: ``retention_info_days``, warning/error/fatal: ``retention_error_days``;
a project's own setting, else the server's); issue aggregates stay (store/retention.py).

Every delete is a short transaction of at most ``EVENT_BATCH`` events, so the digest,
which writes concurrently (SQLite's one writer), waits milliseconds, not minutes.
On PostgreSQL a month's partition whose every event is past the longest retention in
force is dropped whole; only the classes kept for less are deleted row by row (and the
longest class's strays in the default partition). See store/partitions.py.

The digest worker's sweep runs it hourly, once across all workers (the job lease
``retention``), for a few seconds at a time: an unfinished run shortens its lease and
goes on a minute later. ``faultbox retention run`` runs it to the end.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from faultbox.config import Settings
from faultbox.store import job_leases, partitions
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.errors import NotFound
from faultbox.store.retention import (
    LEVEL_CLASSES,
    ProjectRetention,
    count_expired,
    count_old_user_reports,
    delete_expired,
    delete_old_user_reports,
    lease_until,
    level_class,
    project_retentions,
)

log = logging.getLogger(__name__)

JOB = "retention"
EVERY_SECONDS = 3600.0
RESUME_SECONDS = 60.0  # an unfinished run goes on after this
WORKER_BUDGET_SECONDS = 5.0  # of the digest thread's time per sweep
EVENT_BATCH = 1000
KEY_BATCH = 10_000  # PostgreSQL's dedup keys of a dropped month (narrow rows)
DAY = 86400.0
MAX_DAYS = 36500


@dataclass(frozen=True, slots=True)
class RetentionDefaults:
    """The server's retention, for projects without their own."""

    info_days: int
    error_days: int

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionDefaults:
        return cls(settings.retention_info_days, settings.retention_error_days)


@dataclass(slots=True)
class ClassFigures:
    days: int
    own: bool  # the project's own setting (False: the server's default)
    before: float  # events received before this go
    events: int = 0  # deleted (or, in a dry run, that would be)


@dataclass(slots=True)
class ProjectFigures:
    project_id: int
    slug: str
    classes: dict[str, ClassFigures]
    user_reports: int = 0


@dataclass(frozen=True, slots=True)
class DroppedMonth:
    name: str
    start: float
    end: float
    events: int


@dataclass(slots=True)
class RetentionReport:
    now: float
    dry_run: bool
    projects: list[ProjectFigures]
    dropped: list[DroppedMonth] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    finished: bool = True

    @property
    def events(self) -> int:
        return sum(c.events for p in self.projects for c in p.classes.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "finished": self.finished,
            "now": _iso(self.now),
            "events": self.events,
            "projects": [
                {
                    "project": p.slug,
                    **{
                        name: {
                            "levels": list(LEVEL_CLASSES[name]),
                            "days": c.days,
                            "default": not c.own,
                            "before": _iso(c.before),
                            "events": c.events,
                        }
                        for name, c in p.classes.items()
                    },
                    "user_reports": p.user_reports,
                }
                for p in self.projects
            ],
            "partitions": {
                "dropped": [
                    {"name": d.name, "from": _iso(d.start), "to": _iso(d.end), "events": d.events}
                    for d in self.dropped
                ],
                "created": self.created,
            },
        }


def effective_days(policy: ProjectRetention, defaults: RetentionDefaults) -> dict[str, int]:
    return {
        "info": policy.info_days or defaults.info_days,
        "error": policy.error_days or defaults.error_days,
    }


def parse_days(value: object, name: str, *, unset: str = "null") -> int | None:
    """A per-project setting as given to the API or a form: whole days 1..36500, or
    None (``unset``: what the caller calls it) for the server's default."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(
            f"{name} must be a whole number of days, or {unset} for the server's default;"
            f" got {value!r:.40}"
        )
    if not 1 <= value <= MAX_DAYS:
        raise ValueError(f"{name} must be between 1 and {MAX_DAYS} days, got {value}")
    return value


def next_run_at(engine: Engine) -> float | None:
    """When the scheduled job is next due (None: at the next sweep of a worker)."""
    with read_connection(engine) as conn:
        return lease_until(conn, JOB)


# -- the scheduled job -------------------------------------------------------------


def run_retention_if_due(
    engine: Engine, defaults: RetentionDefaults, now: float
) -> RetentionReport | None:
    """Run retention if no worker did within the hour (the job lease); never raises,
    so the rest of the sweep runs whatever happens here."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    try:
        with write_transaction(engine) as conn:
            if not job_leases.take(conn, JOB, owner, now, EVERY_SECONDS):
                return None
        report = run_retention(engine, defaults, now, budget_seconds=WORKER_BUDGET_SECONDS)
    except Exception:
        log.exception("retention: run failed; retrying at the next hour")
        return None
    if not report.finished:
        try:
            with write_transaction(engine) as conn:
                job_leases.take(conn, JOB, owner, now, RESUME_SECONDS)
        except DBAPIError:
            log.exception("retention: could not shorten the lease; resuming at the next hour")
    if report.events or report.dropped:
        log.info(
            "retention: %d events deleted, %d partitions dropped%s",
            report.events,
            len(report.dropped),
            "" if report.finished else " (more to do: continuing in a minute)",
        )
    return report


# -- a run ---------------------------------------------------------------------------


class _OutOfBudget(Exception):
    pass


class _Budget:
    def __init__(self, seconds: float | None) -> None:
        self.deadline = None if seconds is None else time.monotonic() + seconds

    def check(self) -> None:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise _OutOfBudget


def run_retention(
    engine: Engine,
    defaults: RetentionDefaults,
    now: float,
    *,
    dry_run: bool = False,
    project_slug: str | None = None,
    budget_seconds: float | None = None,
) -> RetentionReport:
    """Delete (or, dry, count) what is past its retention at ``now``; with
    ``project_slug`` only that project's events, row by row (months are shared by all
    projects, so none is dropped). Stops early, ``finished`` False, when the budget is
    spent or a month could not be dropped now."""
    with read_connection(engine) as conn:
        policies = project_retentions(conn)
        partitioned = partitions.is_partitioned(conn)
    chosen = policies
    if project_slug is not None:
        chosen = [p for p in policies if p.slug == project_slug]
        if not chosen:
            raise NotFound(f"no project {project_slug!r}")
    report = RetentionReport(now, dry_run, [_figures(p, defaults, now) for p in chosen])
    whole_months = partitioned and project_slug is None
    longest = max(
        [d for p in policies for d in effective_days(p, defaults).values()]
        or [defaults.info_days, defaults.error_days]
    )
    if partitioned and not dry_run:
        report.created = _ensure_months(engine, now)
    run = _Run(engine, report, _Budget(budget_seconds), longest)
    try:
        if whole_months:
            run.drop_months(now - longest * DAY)
        for figures in report.projects:
            for name, c in figures.classes.items():
                # The longest-kept class goes with its months; only its strays in the
                # default partition are deleted row by row.
                run.delete_class(figures.project_id, name, c, whole_months and c.days == longest)
            run.delete_reports(figures)
    except _OutOfBudget:
        report.finished = False
    return report


def _figures(policy: ProjectRetention, defaults: RetentionDefaults, now: float) -> ProjectFigures:
    days = effective_days(policy, defaults)
    own = {"info": policy.info_days is not None, "error": policy.error_days is not None}
    classes = {name: ClassFigures(days[name], own[name], now - days[name] * DAY) for name in days}
    return ProjectFigures(policy.project_id, policy.slug, classes)


def _ensure_months(engine: Engine, now: float) -> list[str]:
    try:
        with write_transaction(engine) as conn:
            partitions.limit_lock_wait(conn)
            return partitions.ensure_partitions(conn, now)
    except DBAPIError as exc:
        log.warning("retention: partitions not created now (next run retries): %s", exc)
        return []


@dataclass(slots=True)
class _Run:
    engine: Engine
    report: RetentionReport
    budget: _Budget
    longest: int  # days: the longest retention in force, for any project and class

    def drop_months(self, before: float) -> None:
        """Drop every month that ends before ``before`` (the longest retention's
        cutoff), oldest first."""
        with read_connection(self.engine) as conn:
            months = [p for p in partitions.partitions(conn) if p.end <= before]
        by_id = {f.project_id: f for f in self.report.projects}
        for month in months:
            if self.report.dry_run:
                counts = self._count_month(month)
            else:
                outcome, counts = self._drop(month)
                if outcome == "locked":
                    self.report.finished = False  # the next run tries again
                    return
                if outcome == "gone":  # a concurrent run (the CLI's) dropped it
                    continue
            for (project_id, level), n in counts.items():
                c = by_id[project_id].classes[level_class(level)] if project_id in by_id else None
                # A dry run counts the shorter classes' rows of the month with the rest
                # of their rows (delete_class); a real run has none left there.
                if c is not None and (not self.report.dry_run or c.days == self.longest):
                    c.events += n
            dropped = DroppedMonth(month.name, month.start, month.end, sum(counts.values()))
            self.report.dropped.append(dropped)
            self.budget.check()

    def _count_month(self, month: partitions.Partition) -> dict[tuple[int, str], int]:
        with read_connection(self.engine) as conn:
            return partitions.counts_by_level(conn, month)

    def _drop(self, month: partitions.Partition) -> tuple[str, dict[tuple[int, str], int]]:
        """("dropped", its events by project and level), ("gone", {}) or ("locked", {})."""
        # The keys first: a run cut short leaves a month with fewer keys (of old
        # events, long past any resend), never keys whose events are gone.
        while True:
            with write_transaction(self.engine) as conn:
                n = partitions.forget_event_ids(conn, month, KEY_BATCH)
            if n < KEY_BATCH:
                break
            self.budget.check()
        try:
            with write_transaction(self.engine) as conn:
                partitions.limit_lock_wait(conn)
                if not partitions.exists(conn, month):
                    return "gone", {}
                counts = partitions.counts_by_level(conn, month)
                partitions.drop_partition(conn, month)
                return "dropped", counts
        except DBAPIError as exc:
            log.warning("retention: %s not dropped now (next run retries): %s", month.name, exc)
            return "locked", {}

    def delete_class(self, project_id: int, name: str, c: ClassFigures, only_default: bool) -> None:
        levels = LEVEL_CLASSES[name]
        if self.report.dry_run:
            with read_connection(self.engine) as conn:
                c.events += count_expired(
                    conn, project_id, levels, c.before, default_partition_only=only_default
                )
            return
        while True:
            with write_transaction(self.engine) as conn:
                n = delete_expired(
                    conn,
                    project_id,
                    levels,
                    c.before,
                    EVENT_BATCH,
                    default_partition_only=only_default,
                )
            c.events += n
            if n < EVENT_BATCH:
                return
            self.budget.check()

    def delete_reports(self, figures: ProjectFigures) -> None:
        """Feedback older than the project's longest-kept events."""
        before = min(c.before for c in figures.classes.values())
        if self.report.dry_run:
            with read_connection(self.engine) as conn:
                figures.user_reports = count_old_user_reports(conn, figures.project_id, before)
            return
        while True:
            with write_transaction(self.engine) as conn:
                n = delete_old_user_reports(conn, figures.project_id, before, EVENT_BATCH)
            figures.user_reports += n
            if n < EVENT_BATCH:
                return
            self.budget.check()


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")

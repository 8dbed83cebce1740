"""Known timelines for the stats tests, written straight into the store: issues,
their activity log, hourly counts and events, at chosen times relative to a pinned
clock (going through the digest could not backdate a resolution by 30 days)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from faultbox.store.activity import Activity, record
from faultbox.store.schema import (
    events,
    issue_hourly,
    issues,
    pattern_issues,
    patterns,
    projects,
    users,
)

NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z, an hour boundary
H = 3600.0
D = 86400.0


@dataclass
class Timeline:
    conn: Connection
    project_id: int

    def _next_short_id(self) -> int:
        highest = self.conn.execute(
            select(func.max(issues.c.short_id)).where(issues.c.project_id == self.project_id)
        ).scalar()
        return int(highest or 0) + 1

    def user_id(self, email: str = "admin@example.com") -> int:
        return int(self.conn.execute(select(users.c.id).where(users.c.email == email)).scalar_one())

    def issue(
        self,
        *,
        first_seen: float,
        title: str = "ValueError: boom",
        status: str = "detected",
        severity: str | None = None,
        taxonomy: str | None = None,
        last_seen: float | None = None,
        times_seen: int = 1,
        users_seen: int = 0,
        acknowledged_at: float | None = None,
    ) -> int:
        """An issue in its current state (its history goes in with ``log``)."""
        return int(
            self.conn.execute(
                issues.insert()
                .values(
                    project_id=self.project_id,
                    short_id=self._next_short_id(),
                    title=title,
                    level="error",
                    status=status,
                    first_seen=first_seen,
                    last_seen=last_seen if last_seen is not None else first_seen,
                    times_seen=times_seen,
                    users_seen=users_seen,
                    grouping_version="v2",
                    severity=severity,
                    taxonomy=taxonomy,
                    acknowledged_at=acknowledged_at,
                )
                .returning(issues.c.id)
            ).scalar_one()
        )

    def log(
        self,
        issue_id: int,
        kind: str,
        at: float,
        *,
        by: int | None = None,
        old: str | None = None,
        new: str | None = None,
    ) -> None:
        field_name = {"status": "status", "severity": "severity"}.get(kind)
        record(
            self.conn,
            [
                Activity(
                    issue_id=issue_id,
                    project_id=self.project_id,
                    kind=kind,
                    created_at=at,
                    user_id=by,
                    field=field_name,
                    old_value=old,
                    new_value=new,
                )
            ],
        )

    def status(self, issue_id: int, at: float, old: str, new: str, *, by: int | None) -> None:
        self.log(issue_id, "status", at, by=by, old=old, new=new)

    def hourly(self, issue_id: int, at: float, count: int) -> None:
        """``count`` events in the hour of ``at`` (the issue was last seen then or later,
        as the digest keeps it)."""
        self.conn.execute(
            issue_hourly.insert().values(issue_id=issue_id, hour=int(at // H), count=count)
        )
        self.conn.execute(
            issues.update()
            .where(issues.c.id == issue_id, issues.c.last_seen < at)
            .values(last_seen=at)
        )

    def events(self, issue_id: int, at: float, n: int = 1, **columns: Any) -> None:
        """``n`` events at ``at`` (and the matching hourly count)."""
        self.conn.execute(
            events.insert(),
            [
                {
                    "project_id": self.project_id,
                    "event_id": uuid.uuid4().hex,
                    "issue_id": issue_id,
                    "timestamp": at,
                    "received_at": at,
                    "level": "error",
                    "title": "ValueError: boom",
                    "grouping_hash": "0" * 32,
                    "payload": b"",
                    **columns,
                }
                for _ in range(n)
            ],
        )
        self.hourly_add(issue_id, at, n)

    def hourly_add(self, issue_id: int, at: float, n: int) -> None:
        hour = int(at // H)
        row = self.conn.execute(
            select(issue_hourly.c.count).where(
                issue_hourly.c.issue_id == issue_id, issue_hourly.c.hour == hour
            )
        ).first()
        if row is None:
            self.hourly(issue_id, at, n)
        else:
            self.conn.execute(
                issue_hourly.update()
                .where(issue_hourly.c.issue_id == issue_id, issue_hourly.c.hour == hour)
                .values(count=row.count + n)
            )
            self.conn.execute(
                issues.update()
                .where(issues.c.id == issue_id, issues.c.last_seen < at)
                .values(last_seen=at)
            )

    def pattern(self, number: int, title: str, issue_ids: list[int]) -> None:
        team_id = self.conn.execute(
            select(projects.c.team_id).where(projects.c.id == self.project_id)
        ).scalar_one()
        pattern_id = self.conn.execute(
            patterns.insert()
            .values(team_id=team_id, number=number, title=title, created_at=NOW, updated_at=NOW)
            .returning(patterns.c.id)
        ).scalar_one()
        self.conn.execute(
            pattern_issues.insert(), [{"pattern_id": pattern_id, "issue_id": i} for i in issue_ids]
        )

"""User feedback attached to events (legacy user_report and new feedback items)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Connection, select

from faultbox.store.dialect import upsert
from faultbox.store.schema import user_reports


@dataclass(frozen=True, slots=True)
class UserReport:
    project_id: int
    event_id: str
    name: str | None
    email: str | None
    comments: str


def add_user_reports(conn: Connection, reports: list[UserReport]) -> None:
    if not reports:
        return
    stmt = upsert(conn, user_reports)
    stmt = stmt.on_conflict_do_update(
        index_elements=["project_id", "event_id"],
        set_={
            "name": stmt.excluded.name,
            "email": stmt.excluded.email,
            "comments": stmt.excluded.comments,
        },
    )
    now = time.time()
    conn.execute(
        stmt,
        [
            {
                "project_id": r.project_id,
                "event_id": r.event_id,
                "name": r.name and r.name[:200],
                "email": r.email and r.email[:254],
                "comments": r.comments[:10000],
                "created_at": now,
            }
            for r in reports
        ],
    )


def reports_for_event(conn: Connection, project_id: int, event_id: str) -> list[dict[str, object]]:
    rows = conn.execute(
        select(
            user_reports.c.name,
            user_reports.c.email,
            user_reports.c.comments,
            user_reports.c.created_at,
        ).where(user_reports.c.project_id == project_id, user_reports.c.event_id == event_id)
    )
    return [dict(r._mapping) for r in rows]

"""Affected users: the issues that reached the most users, and the users that met
the most errors in the window."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from faultbox.query.stats.window import Window
from faultbox.store.schema import events, issue_hourly, issues, projects


def users(
    conn: Connection, project_ids: Sequence[int], window: Window, limit: int
) -> dict[str, Any]:
    return {
        **window.json(),
        "issues": _issues_by_users(conn, project_ids, window, limit),
        "users": _most_affected(conn, project_ids, window, limit),
    }


def _issues_by_users(
    conn: Connection, project_ids: Sequence[int], window: Window, limit: int
) -> list[dict[str, Any]]:
    """Issues seen in the window, by distinct users affected (over the issue's life,
    as the issue list counts them), with their events in the window."""
    i = issues.c
    rows = conn.execute(
        select(i.id, i.short_id, i.title, i.status, i.users_seen, i.times_seen, projects.c.slug)
        .join(projects, projects.c.id == i.project_id)
        .where(i.project_id.in_(project_ids), i.last_seen >= window.start)
        .order_by(i.users_seen.desc(), i.id.desc())
        .limit(limit)
    ).all()
    if not rows:
        return []
    h = issue_hourly.c
    recent: dict[int, int] = {
        int(issue_id): int(n)
        for issue_id, n in conn.execute(
            select(h.issue_id, func.sum(h.count))
            .where(h.issue_id.in_([r.id for r in rows]), h.hour >= int(window.start // 3600))
            .group_by(h.issue_id)
        )
    }
    return [
        {
            "id": r.id,
            "short_id": f"ERR-{r.short_id}",
            "project": r.slug,
            "title": r.title,
            "status": r.status,
            "users": int(r.users_seen),
            "count": int(r.times_seen),
            "events_in_period": recent.get(int(r.id), 0),
        }
        for r in rows
    ]


def _most_affected(
    conn: Connection, project_ids: Sequence[int], window: Window, limit: int
) -> list[dict[str, Any]]:
    """Users by their events in the window (events that name no user are left out).
    One GROUP BY over the window's events: SQLite sorts every row for it, so nothing
    else is computed per user (a last-seen time or the number of distinct users
    would each add a fifth to the cost; see docs/benchmarks.md, "Stats")."""
    e = events.c
    n = func.count().label("n")
    rows = conn.execute(
        select(e.user_key, n)
        .where(
            e.project_id.in_(project_ids),
            e.timestamp >= window.start,
            e.user_key.is_not(None),
        )
        .group_by(e.user_key)
        .order_by(n.desc(), e.user_key)
        .limit(limit)
    ).all()
    return [{"user": r.user_key, "events": int(r.n)} for r in rows]

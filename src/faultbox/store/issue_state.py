"""Reading an issue's lifecycle state for a change, and writing the change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select, update

from faultbox.store.schema import issues, projects, team_members, users

# The columns a person may change through the lifecycle (PATCH, bulk, import).
CATALOGUE_FIELDS = ("symptoms", "diagnosis", "resolution", "prevention", "references", "runbook")


def lock_issues(conn: Connection, issue_ids: Sequence[int]) -> list[Any]:
    """The issues' rows, locked for the change (FOR UPDATE; SQLite's write lock)."""
    if not issue_ids:
        return []
    return list(
        conn.execute(
            select(issues).where(issues.c.id.in_(sorted(set(issue_ids)))).with_for_update()
        )
    )


def update_issue(conn: Connection, issue_id: int, values: dict[str, Any]) -> None:
    if values:
        conn.execute(update(issues).where(issues.c.id == issue_id).values(**values))


def assignable_user(conn: Connection, project_id: int, who: str | int) -> tuple[int, str] | None:
    """(id, email) of an active user of the project's team, by email or id."""
    query = (
        select(users.c.id, users.c.email)
        .join(team_members, team_members.c.user_id == users.c.id)
        .join(projects, projects.c.team_id == team_members.c.team_id)
        .where(projects.c.id == project_id, users.c.is_active.is_(True))
    )
    if isinstance(who, int):
        query = query.where(users.c.id == who)
    else:
        query = query.where(users.c.email == who.strip().lower())
    row = conn.execute(query.limit(1)).first()
    return (int(row.id), row.email) if row is not None else None


def user_email(conn: Connection, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    email: str | None = conn.execute(
        select(users.c.email).where(users.c.id == user_id)
    ).scalar_one_or_none()
    return email

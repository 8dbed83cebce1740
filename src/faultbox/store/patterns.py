"""Known error patterns (PAT-<number>) and their links to issues.

Numbers are global and only grow (``max + 1``, retried if two writers race), so a
deleted pattern's number is not reused while higher ones exist.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from faultbox.store.schema import issues, pattern_issues, patterns, projects, team_members, teams

_NUMBER_RETRIES = 5


def member_teams(conn: Connection, user_id: int) -> dict[str, int]:
    """slug → id of the teams the user belongs to."""
    rows = conn.execute(
        select(teams.c.slug, teams.c.id)
        .join(team_members, team_members.c.team_id == teams.c.id)
        .where(team_members.c.user_id == user_id)
    )
    return {r.slug: int(r.id) for r in rows}


def all_teams(conn: Connection) -> dict[str, int]:
    return {r.slug: int(r.id) for r in conn.execute(select(teams.c.slug, teams.c.id))}


def create_pattern(conn: Connection, *, team_id: int, values: dict[str, Any], now: float) -> int:
    """Insert with the next number; returns the pattern id."""
    for _ in range(_NUMBER_RETRIES):
        number = conn.execute(select(func.coalesce(func.max(patterns.c.number), 0) + 1)).scalar()
        try:
            with conn.begin_nested():
                result = conn.execute(
                    insert(patterns).values(
                        team_id=team_id, number=number, created_at=now, updated_at=now, **values
                    )
                )
        except IntegrityError:
            continue  # another writer took the number
        return int(result.inserted_primary_key[0])  # type: ignore[index]
    raise RuntimeError("could not allocate a pattern number")


def pattern_number(conn: Connection, pattern_id: int) -> int:
    return int(
        conn.execute(select(patterns.c.number).where(patterns.c.id == pattern_id)).scalar_one()
    )


def _counted(project_ids: Collection[int]) -> Any:
    """Patterns with their team slug, and the count and total occurrences of the linked
    issues in ``project_ids`` (the caller's visible projects)."""
    linked = (
        select(
            pattern_issues.c.pattern_id,
            func.count(issues.c.id).label("issue_count"),
            func.sum(issues.c.times_seen).label("occurrences"),
        )
        .join(issues, issues.c.id == pattern_issues.c.issue_id)
        .where(issues.c.project_id.in_(sorted(project_ids)))
        .group_by(pattern_issues.c.pattern_id)
        .subquery()
    )
    return (
        select(
            patterns,
            teams.c.slug.label("team_slug"),
            func.coalesce(linked.c.issue_count, 0).label("issue_count"),
            func.coalesce(linked.c.occurrences, 0).label("occurrences"),
        )
        .join(teams, teams.c.id == patterns.c.team_id)
        .outerjoin(linked, linked.c.pattern_id == patterns.c.id)
    )


def list_patterns(
    conn: Connection, team_ids: Collection[int] | None, project_ids: Collection[int]
) -> list[dict[str, Any]]:
    """The patterns of ``team_ids`` (None: every team), lowest number first."""
    query = _counted(project_ids)
    if team_ids is not None:
        query = query.where(patterns.c.team_id.in_(sorted(team_ids)))
    return [dict(r._mapping) for r in conn.execute(query.order_by(patterns.c.number))]


def get_pattern(
    conn: Connection, number: int, project_ids: Collection[int]
) -> dict[str, Any] | None:
    row = conn.execute(_counted(project_ids).where(patterns.c.number == number)).first()
    return dict(row._mapping) if row is not None else None


def update_pattern(conn: Connection, pattern_id: int, values: dict[str, Any], now: float) -> None:
    conn.execute(
        update(patterns).where(patterns.c.id == pattern_id).values(updated_at=now, **values)
    )


def delete_pattern(conn: Connection, pattern_id: int) -> None:
    """Links go with it (ON DELETE CASCADE, and explicitly for SQLite without FKs)."""
    conn.execute(delete(pattern_issues).where(pattern_issues.c.pattern_id == pattern_id))
    conn.execute(delete(patterns).where(patterns.c.id == pattern_id))


def linked_issues(
    conn: Connection, pattern_id: int, project_ids: Collection[int] | None = None
) -> list[dict[str, Any]]:
    """The linked issues (only those in ``project_ids`` when given), busiest first."""
    query = (
        select(
            issues.c.id,
            issues.c.project_id,
            issues.c.short_id,
            issues.c.title,
            issues.c.status,
            issues.c.times_seen,
            issues.c.last_seen,
            projects.c.slug.label("project_slug"),
        )
        .join(pattern_issues, pattern_issues.c.issue_id == issues.c.id)
        .join(projects, projects.c.id == issues.c.project_id)
        .where(pattern_issues.c.pattern_id == pattern_id)
    )
    if project_ids is not None:
        query = query.where(issues.c.project_id.in_(sorted(project_ids)))
    rows = conn.execute(query.order_by(issues.c.times_seen.desc(), issues.c.id))
    return [dict(r._mapping) for r in rows]


def issue_projects(conn: Connection, issue_ids: Iterable[int]) -> dict[int, int]:
    """issue id → project id, for the issues that exist."""
    wanted = sorted(set(issue_ids))
    if not wanted:
        return {}
    rows = conn.execute(select(issues.c.id, issues.c.project_id).where(issues.c.id.in_(wanted)))
    return {int(r.id): int(r.project_id) for r in rows}


def link(conn: Connection, pattern_id: int, issue_ids: Iterable[int]) -> list[int]:
    """Link the issues not linked yet; returns those (sorted)."""
    wanted = set(issue_ids)
    if not wanted:
        return []
    present = set(
        conn.execute(
            select(pattern_issues.c.issue_id).where(
                pattern_issues.c.pattern_id == pattern_id,
                pattern_issues.c.issue_id.in_(sorted(wanted)),
            )
        ).scalars()
    )
    new = sorted(wanted - present)
    if new:
        conn.execute(
            insert(pattern_issues), [{"pattern_id": pattern_id, "issue_id": i} for i in new]
        )
    return new


def unlink(conn: Connection, pattern_id: int, issue_id: int) -> bool:
    result = conn.execute(
        delete(pattern_issues).where(
            pattern_issues.c.pattern_id == pattern_id, pattern_issues.c.issue_id == issue_id
        )
    )
    return bool(result.rowcount)

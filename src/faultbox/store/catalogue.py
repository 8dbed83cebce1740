"""Reads and writes of the catalogue import: issues by project and short id, patterns
by number, and pattern links. The caller holds the one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, and_, or_, select, update

from faultbox.store.schema import issue_redirects, issues, pattern_issues, patterns, projects, teams


def project_ids_by_slug(conn: Connection, slugs: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(slugs))
    if not wanted:
        return {}
    rows = conn.execute(select(projects.c.slug, projects.c.id).where(projects.c.slug.in_(wanted)))
    return {slug: int(i) for slug, i in rows}


def issue_ids_by_short_id(
    conn: Connection, wanted: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], int]:
    """``{(project id, short id): issue id}`` for the issues that exist."""
    pairs = sorted(set(wanted))
    found: dict[tuple[int, int], int] = {}
    for start in range(0, len(pairs), 200):  # stays below SQLite's parameter limit
        chunk = pairs[start : start + 200]
        rows = conn.execute(
            select(issues.c.project_id, issues.c.short_id, issues.c.id).where(
                or_(*(and_(issues.c.project_id == p, issues.c.short_id == s) for p, s in chunk))
            )
        )
        found.update({(int(p), int(s)): int(i) for p, s, i in rows})
    return found


def merged_into(conn: Connection, project_id: int, short_id: int) -> int | None:
    """The short id of the issue a merged issue went into (None: it was not merged)."""
    target = conn.execute(
        select(issues.c.short_id)
        .join(issue_redirects, issue_redirects.c.target_id == issues.c.id)
        .where(issue_redirects.c.project_id == project_id, issue_redirects.c.short_id == short_id)
    ).scalar()
    return None if target is None else int(target)


def team_id_by_slug(conn: Connection, slug: str) -> int | None:
    found = conn.execute(select(teams.c.id).where(teams.c.slug == slug)).scalar()
    return None if found is None else int(found)


def patterns_by_number(conn: Connection, numbers: Iterable[int]) -> dict[int, Any]:
    wanted = sorted(set(numbers))
    if not wanted:
        return {}
    rows = conn.execute(select(patterns).where(patterns.c.number.in_(wanted)).with_for_update())
    return {int(r.number): r for r in rows}


def insert_pattern(
    conn: Connection, *, team_id: int, number: int, values: dict[str, Any], now: float
) -> int:
    return int(
        conn.execute(
            patterns.insert()
            .values(team_id=team_id, number=number, created_at=now, updated_at=now, **values)
            .returning(patterns.c.id)
        ).scalar_one()
    )


def update_pattern(conn: Connection, pattern_id: int, values: dict[str, Any], now: float) -> None:
    conn.execute(
        update(patterns).where(patterns.c.id == pattern_id).values(updated_at=now, **values)
    )


def linked_issue_ids(conn: Connection, pattern_id: int) -> set[int]:
    rows = conn.execute(
        select(pattern_issues.c.issue_id).where(pattern_issues.c.pattern_id == pattern_id)
    )
    return {int(i) for i in rows.scalars()}


def link_pattern(conn: Connection, pattern_id: int, issue_ids: Iterable[int]) -> None:
    rows = [{"pattern_id": pattern_id, "issue_id": i} for i in sorted(set(issue_ids))]
    if rows:
        conn.execute(pattern_issues.insert(), rows)

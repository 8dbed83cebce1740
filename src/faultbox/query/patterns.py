"""Patterns as the API shows them: fields, Markdown rendered safely, linked issues."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, select

from faultbox.lifecycle.codes import pattern_code
from faultbox.lifecycle.patterns import TEXT_FIELDS
from faultbox.query.markdown import render
from faultbox.query.timefmt import iso
from faultbox.store.patterns import get_pattern, linked_issues, list_patterns
from faultbox.store.schema import pattern_issues, patterns


def pattern_json(row: dict[str, Any]) -> dict[str, Any]:
    """``issue_count`` and ``occurrences`` (their events) cover the issues the caller
    can see."""
    return {
        "id": row["id"],
        "number": row["number"],
        "short_id": pattern_code(row["number"]),
        "team": row["team_slug"],
        "title": row["title"],
        **{name: row[name] for name in TEXT_FIELDS},
        "html": {name: render(row[name]) for name in TEXT_FIELDS},
        "issue_count": int(row["issue_count"]),
        "occurrences": int(row["occurrences"]),
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
    }


def patterns_page(
    conn: Connection, team_ids: Collection[int] | None, project_ids: Collection[int]
) -> list[dict[str, Any]]:
    return [pattern_json(r) for r in list_patterns(conn, team_ids, project_ids)]


def pattern_detail(
    conn: Connection, number: int, project_ids: Collection[int]
) -> dict[str, Any] | None:
    row = get_pattern(conn, number, project_ids)
    if row is None:
        return None
    data = pattern_json(row)
    data["issues"] = [
        {
            "id": r["id"],
            "short_id": f"ERR-{r['short_id']}",
            "project": r["project_slug"],
            "title": r["title"],
            "status": r["status"],
            "count": r["times_seen"],
            "last_seen": iso(r["last_seen"]),
        }
        for r in linked_issues(conn, row["id"], project_ids)
    ]
    return data


def patterns_of_issue(conn: Connection, issue_id: int) -> list[dict[str, Any]]:
    """The patterns an issue is linked to (for the issue detail and its report)."""
    rows = conn.execute(
        select(patterns.c.number, patterns.c.title, patterns.c.prevention)
        .join(pattern_issues, pattern_issues.c.pattern_id == patterns.c.id)
        .where(pattern_issues.c.issue_id == issue_id)
        .order_by(patterns.c.number)
    ).all()
    return [
        {"id": pattern_code(number), "number": number, "title": title, "prevention": prevention}
        for number, title, prevention in rows
    ]

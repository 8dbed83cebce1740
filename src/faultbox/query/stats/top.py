"""Top error types, issue types (taxonomy) and patterns by their share of the events
in the window, from the per-issue hourly counts (no event is read)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from faultbox.lifecycle.codes import pattern_code
from faultbox.query.stats.window import Window, share
from faultbox.store.schema import issue_hourly, issues, pattern_issues, patterns

_OPENERS = "<[{(\"'"


def exception_type(title: str) -> str | None:
    """The exception type an issue's title starts with (titles are "Type: value",
    or the bare type when the value is empty); None for a message title. Nothing
    new is stored: a type is one token without spaces, as every language spells
    them (``ValueError``, ``java.lang.NullPointerException``, ``*errors.errorString``)."""
    head = title.split(": ", 1)[0].strip()
    if not head or len(head) > 200 or head[0] in _OPENERS or any(c.isspace() for c in head):
        return None
    return head


@dataclass(slots=True)
class _Group:
    events: int = 0
    issues: int = 0


def issue_events(conn: Connection, project_ids: Sequence[int], window: Window) -> Any:
    """(issue id, title, taxonomy, events in the window) of the issues with events."""
    h = issue_hourly.c
    first_hour = int(window.start // 3600)
    # An issue with events in the window was last seen in it: last_seen prunes the
    # issues to read before their hourly rows are (ix_issues_project_id_last_seen).
    seen = select(issues.c.id).where(
        issues.c.project_id.in_(project_ids), issues.c.last_seen >= first_hour * 3600
    )
    per_issue = (
        select(h.issue_id, func.sum(h.count).label("n"))
        .where(h.issue_id.in_(seen), h.hour >= first_hour)
        .group_by(h.issue_id)
        .subquery()
    )
    return conn.execute(
        select(issues.c.id, issues.c.title, issues.c.taxonomy, per_issue.c.n).join(
            per_issue, per_issue.c.issue_id == issues.c.id
        )
    ).all()


def top(conn: Connection, project_ids: Sequence[int], window: Window, limit: int) -> dict[str, Any]:
    per_issue = [
        (r.id, r.title, r.taxonomy, int(r.n))
        for r in issue_events(conn, project_ids, window)
        if r.n
    ]
    total = sum(n for *_, n in per_issue)
    types: dict[str | None, _Group] = defaultdict(_Group)
    taxonomies: dict[str | None, _Group] = defaultdict(_Group)
    for _, title, taxonomy, n in per_issue:
        for group in (types[exception_type(title)], taxonomies[taxonomy]):
            group.events += n
            group.issues += 1

    def ranked(groups: dict[str | None, _Group], name: str) -> list[dict[str, Any]]:
        order = sorted(groups.items(), key=lambda kv: (-kv[1].events, kv[0] or ""))
        return [
            {name: key, "events": g.events, "share": share(g.events, total), "issues": g.issues}
            for key, g in order[:limit]
        ]

    return {
        **window.json(),
        "total_events": total,
        "types": ranked(types, "type"),
        "taxonomies": ranked(taxonomies, "taxonomy"),
        "patterns": _patterns(conn, project_ids, {i: n for i, *_, n in per_issue}, total, limit),
    }


def _patterns(
    conn: Connection,
    project_ids: Sequence[int],
    events_of: dict[int, int],
    total: int,
    limit: int,
) -> list[dict[str, Any]]:
    """Patterns by the events of their linked issues (in the chosen projects). An
    issue linked to two patterns counts for both, so these shares may overlap."""
    if not events_of:
        return []
    p = patterns.c
    links = conn.execute(
        select(p.id, p.number, p.title, pattern_issues.c.issue_id)
        .join(pattern_issues, pattern_issues.c.pattern_id == p.id)
        .join(issues, issues.c.id == pattern_issues.c.issue_id)
        .where(issues.c.project_id.in_(project_ids))
    ).all()
    found: dict[int, dict[str, Any]] = {}
    for row in links:
        n = events_of.get(int(row.issue_id))
        if not n:
            continue
        entry = found.setdefault(
            int(row.id),
            {
                "id": int(row.id),
                "pattern": pattern_code(int(row.number)),
                "title": row.title,
                "events": 0,
                "issues": 0,
            },
        )
        entry["events"] += n
        entry["issues"] += 1
    ranked = sorted(found.values(), key=lambda e: (-e["events"], e["id"]))[:limit]
    for entry in ranked:
        entry["share"] = share(entry["events"], total)
    return ranked

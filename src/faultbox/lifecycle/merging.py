"""Merging issues by hand, with its activity-log entry (the API and the dashboard)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from faultbox.store.activity import Activity, record
from faultbox.store.merge import busiest_issue, merge_issues


def merge_by_hand(
    conn: Connection,
    project_id: int,
    issue_ids: Sequence[int],
    *,
    into: int | None,
    actor: int | None,
    now: float,
) -> tuple[int, list[int]]:
    """Fold the issues into ``into`` (default: the busiest); returns (kept, merged ids).

    Raises ``store.merge.MergeError`` when the issues cannot be merged."""
    target = into or busiest_issue(conn, issue_ids)
    merged = merge_issues(conn, project_id, target, issue_ids)
    names = ", ".join(f"ERR-{short}" for _, short in merged)
    record(conn, [Activity(target, project_id, "merge", now, actor, note=names)])
    return target, [i for i, _ in merged]

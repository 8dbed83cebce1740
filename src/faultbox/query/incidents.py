"""Incidents as the API, the dashboard and the analysis report show them: a
project's newest first with a keyset cursor, one with its timeline (who was paged,
who acknowledged, escalations, resolution), and an issue's with theirs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from faultbox.query.cursor import decode_cursor, encode_cursor
from faultbox.query.timefmt import iso
from faultbox.store import incidents as store

STATUSES = (store.OPEN, store.ACKNOWLEDGED, store.RESOLVED)
ISSUE_INCIDENTS = 20  # shown on the issue page and in its report


def incident_json(row: dict[str, Any]) -> dict[str, Any]:
    short_id = row.get("issue_short_id")
    return {
        "id": row["id"],
        "project_id": row["project_id"],
        "issue_id": row["issue_id"],
        "issue_short_id": f"ERR-{short_id}" if short_id is not None else None,
        "rule_id": row["rule_id"],
        "severity": row["severity"],
        "title": row["title"],
        "status": row["status"],
        "dedup_key": row["dedup_key"],
        "opened_at": iso(row["opened_at"]),
        "acknowledged_at": iso(row["acknowledged_at"]),
        "acknowledged_by": row.get("acknowledged_by_email"),
        "resolved_at": iso(row["resolved_at"]),
        "escalation_level": row["escalation_level"],
        "next_escalation_at": iso(row["next_escalation_at"]),
    }


def timeline_json(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "at": iso(e["at"]),
            "kind": e["kind"],
            "detail": e["detail"],
            "user": e.get("user_email"),
            "channel": e.get("channel_name"),
            "channel_id": e["channel_id"],
        }
        for e in events
    ]


def incident_page(
    conn: Connection,
    project_id: int,
    *,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of rows, newest first, and the cursor of the next (None at the end).
    A malformed cursor raises ``BadCursor``."""
    before = None
    if cursor:
        opened_at, row_id = decode_cursor(cursor)
        before = (float(opened_at), row_id)  # type: ignore[arg-type]
    rows = store.project_incidents(conn, project_id, status=status, limit=limit + 1, before=before)
    page = rows[:limit]
    more = len(rows) > limit
    return page, encode_cursor(page[-1]["opened_at"], page[-1]["id"]) if more else None


def with_timeline(conn: Connection, incident_id: int) -> dict[str, Any] | None:
    """The incident's row and its raw timeline (epoch seconds), or None."""
    row = store.incident_detail(conn, incident_id)
    if row is None:
        return None
    return {**row, "timeline": store.timeline(conn, incident_id)}


def of_issue(conn: Connection, issue_id: int) -> list[dict[str, Any]]:
    """The issue's incidents, newest first, each with its timeline (raw rows)."""
    return [
        {**row, "timeline": store.timeline(conn, int(row["id"]))}
        for row in store.incidents_of_issue(conn, issue_id, limit=ISSUE_INCIDENTS)
    ]


def report_section(conn: Connection, issue_id: int) -> list[dict[str, Any]]:
    """The report's ``incidents``: oldest first, who was paged, acknowledged, resolved."""
    out = []
    for incident in reversed(of_issue(conn, issue_id)):
        timeline = incident["timeline"]
        paged = sorted(
            {
                e["channel_name"] or f"channel {e['channel_id']}"
                for e in timeline
                if e["channel_id"] is not None and e["kind"] in ("trigger", "paged")
            }
        )
        out.append(
            {
                **incident_json(incident),
                "paged": paged,
                "timeline": timeline_json(timeline),
            }
        )
    return out

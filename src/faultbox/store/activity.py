"""The activity log: every change to an issue, who made it (None: Faultbox itself),
old → new. Stats (MTTR, MTTD) and reports read it, so the kinds are fixed:

=============  ==========================================================
kind           meaning (field / old_value / new_value)
=============  ==========================================================
``created``    the digest opened the issue (new_value: status)
``status``     a status change (field "status"); note: ignore condition
``severity``   P0..P3 changed (by a rule at creation, or by hand)
``taxonomy``   the type changed
``assignee``   old/new: user emails (None: unassigned)
``catalogue``  field: symptoms, diagnosis, resolution, prevention, ...
``release``    field "resolved_in_release" / "resolve_in_next_release"
``regression`` reopened by an event from a newer release (new_value: release)
``unignored``  an ignore condition was met (note: which)
``comment``    new_value: the comment id
``merge``      other issues merged into this one (note: their short ids)
``unmerge``    hashes moved out (note: the new issue's short id)
``pattern``    linked to / unlinked from a pattern (new_value / old_value: PAT-n)
``incident``   a page for it: old/new incident status (open, acknowledged, escalated,
               resolved); note: the incident's id and who/how (alerts/incidents.py)
``discard``    field "events": old/new "stored" or "discarded" (lifecycle/discard.py)
=============  ==========================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from faultbox.store.schema import issue_activity, users

MAX_VALUE = 4000  # catalogue fields can be long; the log keeps their head


@dataclass(frozen=True, slots=True)
class Activity:
    issue_id: int
    project_id: int
    kind: str
    created_at: float
    user_id: int | None = None
    field: str | None = None
    old_value: str | None = None
    new_value: str | None = None
    note: str | None = None


def _clip(value: str | None) -> str | None:
    return value if value is None or len(value) <= MAX_VALUE else value[: MAX_VALUE - 1] + "…"


def record(conn: Connection, entries: Sequence[Activity]) -> None:
    if not entries:
        return
    conn.execute(
        issue_activity.insert(),
        [
            {
                "issue_id": e.issue_id,
                "project_id": e.project_id,
                "user_id": e.user_id,
                "kind": e.kind,
                "field": e.field,
                "old_value": _clip(e.old_value),
                "new_value": _clip(e.new_value),
                "note": _clip(e.note),
                "created_at": e.created_at,
            }
            for e in entries
        ],
    )


def activity_of(conn: Connection, issue_id: int, limit: int = 500) -> list[dict[str, Any]]:
    """The issue's log, oldest first, with the actor's email."""
    a = issue_activity.c
    rows = conn.execute(
        select(a.id, a.kind, a.field, a.old_value, a.new_value, a.note, a.created_at, users.c.email)
        .outerjoin(users, users.c.id == a.user_id)
        .where(a.issue_id == issue_id)
        .order_by(a.created_at, a.id)
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]

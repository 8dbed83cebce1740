"""Discarding an issue: its new events are still counted (times seen, last seen, users,
hourly counts) but no longer stored (store/batch.py); un-discarding stores them again.
Events already stored stay. Each change is written to the activity log."""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from faultbox.store.activity import Activity, record
from faultbox.store.errors import NotFound
from faultbox.store.schema import issues

DISCARDED = "discarded"
STORED = "stored"


def set_discarded(
    conn: Connection, issue_id: int, discard: bool, *, actor: int | None, now: float
) -> bool:
    """Discard or un-discard; False when the issue already was in that state."""
    row = conn.execute(
        select(issues.c.project_id, issues.c.discarded_at).where(issues.c.id == issue_id)
    ).first()
    if row is None:
        raise NotFound(f"no issue {issue_id}")
    if (row.discarded_at is not None) == discard:
        return False
    conn.execute(
        update(issues).where(issues.c.id == issue_id).values(discarded_at=now if discard else None)
    )
    record(
        conn,
        [
            Activity(
                issue_id=issue_id,
                project_id=int(row.project_id),
                kind="discard",
                created_at=now,
                user_id=actor,
                field="events",
                old_value=STORED if discard else DISCARDED,
                new_value=DISCARDED if discard else STORED,
            )
        ],
    )
    return True

"""What the digest's lifecycle checks read and write: the resolution and ignore state
of the issues a batch touched, and the status changes they lead to."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Connection, and_, select, update

from faultbox.store.schema import issues

_CHUNK = 400

# Only what the checks need, not the catalogue text.
_COLUMNS = (
    issues.c.id,
    issues.c.project_id,
    issues.c.status,
    issues.c.times_seen,
    issues.c.users_seen,
    issues.c.resolved_at,
    issues.c.resolved_in_release,
    issues.c.resolve_in_next_release,
    issues.c.ignore_until,
    issues.c.ignore_until_count,
    issues.c.ignore_until_users,
)


def issues_in_status(
    conn: Connection, issue_ids: Collection[int], statuses: Collection[str]
) -> list[Any]:
    """The issues among ``issue_ids`` whose status is one of ``statuses``.

    In the digest the batch's counter update already holds these rows' locks
    (PostgreSQL) or the database's write lock (SQLite), so what is read here cannot
    change under the transaction before it commits."""
    ids = sorted(set(issue_ids))
    found: list[Any] = []
    for i in range(0, len(ids), _CHUNK):
        found.extend(
            conn.execute(
                select(*_COLUMNS).where(
                    issues.c.id.in_(ids[i : i + _CHUNK]), issues.c.status.in_(sorted(statuses))
                )
            )
        )
    return found


def awaiting_next_release(
    conn: Connection, project_ids: Collection[int], statuses: Collection[str]
) -> list[Any]:
    """Issues resolved "in the next release" whose release is not known yet, locked
    (they may not be in the batch: any new release of the project settles them)."""
    if not project_ids:
        return []
    return list(
        conn.execute(
            select(*_COLUMNS)
            .where(
                issues.c.project_id.in_(sorted(set(project_ids))),
                issues.c.resolve_in_next_release.is_(True),
                issues.c.status.in_(sorted(statuses)),
            )
            .order_by(issues.c.id)
            .with_for_update()
        )
    )


def expired_ignores(conn: Connection, now: float, limit: int = 1000) -> list[Any]:
    """Ignored issues whose ignore-until time has passed, locked for the change."""
    return list(
        conn.execute(
            select(*_COLUMNS)
            .where(
                and_(
                    issues.c.status == "ignored",
                    issues.c.ignore_until.is_not(None),
                    issues.c.ignore_until <= now,
                )
            )
            .order_by(issues.c.id)
            .limit(limit)
            .with_for_update()
        )
    )


def set_issue_values(conn: Connection, changes: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """Apply ``(issue_id, {column: value})`` changes; few per batch (they are rare)."""
    for issue_id, values in changes:
        conn.execute(update(issues).where(issues.c.id == issue_id).values(**values))

"""Set-based writes of lifecycle columns: many issues, one statement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam

from faultbox.store.schema import issues

# Columns the lifecycle sets on many issues at once (a typo must not become SQL).
WRITABLE = frozenset(
    {
        "status",
        "status_changed_at",
        "severity",
        "severity_reason",
        "taxonomy",
        "taxonomy_reason",
        "acknowledged_at",
    }
)


def update_issues(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """``rows``: ``{"id": ..., column: value, ...}``, every row with the same columns;
    one UPDATE executed for all of them (executemany)."""
    if not rows:
        return
    columns = sorted(set(rows[0]) - {"id"})
    unknown = set(columns) - WRITABLE
    if unknown or any(set(r) != set(rows[0]) for r in rows):
        raise ValueError(f"update_issues: columns {sorted(unknown) or 'differ between rows'}")
    # Bind names must differ from column names (SQLAlchemy reserves those for SET).
    statement = (
        issues.update()
        .where(issues.c.id == bindparam("b_id"))
        .values({c: bindparam(f"b_{c}") for c in columns})
    )
    conn.execute(statement, [{f"b_{k}": v for k, v in r.items()} for r in rows])

"""The few places where SQLite and PostgreSQL SQL differ."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def upsert(conn: Connection, table: Table) -> Any:
    """An INSERT supporting ``on_conflict_do_update/nothing`` on the connection's dialect.

    Both dialects implement the same ON CONFLICT clause, so callers write it once.
    """
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)

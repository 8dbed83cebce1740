"""The few places where SQLite and PostgreSQL SQL differ."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Connection, Integer, Table, cast, func, literal_column
from sqlalchemy.dialects import postgresql, sqlite


def upsert(conn: Connection, table: Table) -> Any:
    """An INSERT supporting ``on_conflict_do_update/nothing`` on the connection's dialect.

    Both dialects implement the same ON CONFLICT clause, so callers write it once.
    """
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def epoch_bucket(conn: Connection, column: Any, seconds: int) -> Any:
    """``floor(column / seconds)`` for epoch-seconds columns, as an integer: the hour
    or day an event falls in. SQLite's CAST truncates (the floor, for times after
    1970); PostgreSQL's CAST rounds, hence its floor(). ``seconds`` is rendered
    inline: PostgreSQL cannot match a GROUP BY with bound parameters to the select."""
    size: Any = literal_column(str(int(seconds)))
    if conn.dialect.name == "postgresql":
        return cast(func.floor(column / size), BigInteger)
    return cast(column / size, Integer)

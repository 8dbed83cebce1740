"""A user's saved issue-stream searches, per project."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from faultbox.store.errors import AlreadyExists
from faultbox.store.schema import saved_searches


def save_search(
    conn: Connection,
    *,
    user_id: int,
    project_id: int,
    name: str,
    query: str,
    sort: str,
    now: float,
) -> int:
    try:
        with conn.begin_nested():
            result = conn.execute(
                saved_searches.insert().values(
                    user_id=user_id,
                    project_id=project_id,
                    name=name,
                    query=query,
                    sort=sort,
                    created_at=now,
                )
            )
    except IntegrityError:
        raise AlreadyExists(f"you already have a saved search named {name!r}") from None
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def searches_of(conn: Connection, *, user_id: int, project_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(saved_searches)
        .where(saved_searches.c.user_id == user_id, saved_searches.c.project_id == project_id)
        .order_by(saved_searches.c.name)
    )
    return [dict(r._mapping) for r in rows]


def delete_search(conn: Connection, *, user_id: int, search_id: int) -> bool:
    result = conn.execute(
        saved_searches.delete().where(
            saved_searches.c.id == search_id, saved_searches.c.user_id == user_id
        )
    )
    return bool(result.rowcount)

"""Dead letters: messages the digest could not process, kept with the reason."""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, delete, func, or_, select

from faultbox.store.schema import dead_letters


@dataclass(frozen=True, slots=True)
class DeadLetter:
    project_id: int | None
    event_id: str | None
    kind: str
    payload: bytes
    meta: dict[str, object] | None
    reason: str
    attempts: int


def add_dead_letters(conn: Connection, letters: list[DeadLetter]) -> None:
    if not letters:
        return
    now = time.time()
    conn.execute(
        dead_letters.insert(),
        [
            {
                "project_id": d.project_id,
                "event_id": d.event_id,
                "kind": d.kind,
                "payload": d.payload,
                "meta": orjson.dumps(d.meta).decode() if d.meta else None,
                "reason": d.reason[:4000],
                "attempts": d.attempts,
                "created_at": now,
            }
            for d in letters
        ],
    )


def list_dead_letters(conn: Connection, limit: int = 100) -> list[dict[str, object]]:
    rows = conn.execute(
        select(
            dead_letters.c.id,
            dead_letters.c.project_id,
            dead_letters.c.event_id,
            dead_letters.c.kind,
            dead_letters.c.reason,
            dead_letters.c.attempts,
            dead_letters.c.created_at,
        )
        .order_by(dead_letters.c.id.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


def take_dead_letter(conn: Connection, letter_id: int) -> DeadLetter | None:
    row = conn.execute(select(dead_letters).where(dead_letters.c.id == letter_id)).first()
    if row is None:
        return None
    conn.execute(delete(dead_letters).where(dead_letters.c.id == letter_id))
    return DeadLetter(
        row.project_id,
        row.event_id,
        row.kind,
        row.payload,
        orjson.loads(row.meta) if row.meta else None,
        row.reason,
        row.attempts,
    )


_LISTED = (
    dead_letters.c.id,
    dead_letters.c.project_id,
    dead_letters.c.event_id,
    dead_letters.c.kind,
    dead_letters.c.reason,
    dead_letters.c.attempts,
    dead_letters.c.created_at,
)


def dead_letter_page(
    conn: Connection,
    *,
    project_ids: Collection[int],
    without_project: bool,
    limit: int,
    before_id: int | None = None,
) -> list[dict[str, Any]]:
    """Newest first: the letters of these projects (and those of no project when
    ``without_project``), ``limit`` of them with an id below ``before_id``."""
    c = dead_letters.c
    visible: ColumnElement[bool] = c.project_id.in_(sorted(project_ids))
    if without_project:
        visible = or_(visible, c.project_id.is_(None))
    query = select(*_LISTED, func.length(c.payload).label("payload_size")).where(visible)
    if before_id is not None:
        query = query.where(c.id < before_id)
    rows = conn.execute(query.order_by(c.id.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]


def get_dead_letter(conn: Connection, letter_id: int) -> dict[str, Any] | None:
    """One letter with its payload (bytes) and its metadata (decoded JSON or None)."""
    row = conn.execute(
        select(*_LISTED, dead_letters.c.payload, dead_letters.c.meta).where(
            dead_letters.c.id == letter_id
        )
    ).first()
    if row is None:
        return None
    found = dict(row._mapping)
    try:
        found["meta"] = orjson.loads(row.meta) if row.meta else None
    except orjson.JSONDecodeError:
        found["meta"] = {"unreadable": str(row.meta)[:200]}
    return found


def count_dead_letters(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(dead_letters)).scalar_one())

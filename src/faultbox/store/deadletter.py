"""Dead letters: messages the digest could not process, kept with the reason."""

from __future__ import annotations

import time
from dataclasses import dataclass

import orjson
from sqlalchemy import Connection, delete, select

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

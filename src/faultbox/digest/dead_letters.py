"""Retrying a dead letter: put its message back on the queue, after a fix.

The one service the CLI (``faultbox deadletter retry``) and the dashboard both call.
The letter is taken out of the store first, so two retries at once cannot queue it
twice; if the queue refuses the message, the letter is put back.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine

from faultbox.queue.base import IngestMeta, NewMessage, Queue
from faultbox.store.db import write_transaction
from faultbox.store.deadletter import DeadLetter, add_dead_letters, take_dead_letter


def message_of(letter: DeadLetter, *, now: float) -> NewMessage:
    meta = letter.meta or {}
    return NewMessage(
        project_id=int(letter.project_id or 0),
        kind=letter.kind,
        event_id=letter.event_id or "",
        received_at=now,
        payload=letter.payload,
        meta=IngestMeta(
            client_ip=_opt_str(meta.get("client_ip")),
            user_agent=_opt_str(meta.get("user_agent")),
        ),
    )


def _take(engine: Engine, letter_id: int) -> DeadLetter | None:
    with write_transaction(engine) as conn:
        return take_dead_letter(conn, letter_id)


def _put_back(engine: Engine, letter: DeadLetter) -> None:
    with write_transaction(engine) as conn:
        add_dead_letters(conn, [letter])


async def retry_dead_letter(
    engine: Engine, queue: Queue, letter_id: int, *, now: float
) -> DeadLetter | None:
    """Queue the letter's message again; None when there is no such letter (any more).
    Raises what the queue raises (QueueFull, QueueUnavailable), the letter kept."""
    letter = await asyncio.to_thread(_take, engine, letter_id)
    if letter is None:
        return None
    try:
        await queue.put_many([message_of(letter, now=now)])
    except BaseException:
        await asyncio.to_thread(_put_back, engine, letter)
        raise
    return letter


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) else None

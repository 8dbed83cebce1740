"""The embedded queue: durable before the answer, leases, bound, dead workers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from faultbox.queue.base import IngestMeta, NewMessage, QueueFull
from faultbox.queue.sqlite_inbox import SqliteInbox


def _message(n: int) -> NewMessage:
    return NewMessage(
        1,
        "sentry_event",
        f"{n:032x}",
        time.time(),
        b'{"n": %d}' % n,
        IngestMeta(client_ip="127.0.0.1", user_agent="ua", sent_at=1.5),
    )


def _put(inbox: SqliteInbox, messages: list[NewMessage]) -> None:
    async def go() -> None:
        await asyncio.gather(*(inbox.put_many([m]) for m in messages))

    asyncio.run(go())


def test_put_claim_ack_round_trip_keeps_order_and_meta(tmp_path: Path) -> None:
    inbox = SqliteInbox(tmp_path / "q.sqlite3", max_depth=100)
    _put(inbox, [_message(n) for n in range(10)])
    claimed = inbox.claim(4)
    assert [m.event_id for m in claimed] == [f"{n:032x}" for n in range(4)]
    assert claimed[0].meta == IngestMeta(client_ip="127.0.0.1", user_agent="ua", sent_at=1.5)
    assert claimed[0].attempts == 1
    # Leased messages are not handed out twice.
    assert [m.event_id for m in inbox.claim(100)] == [f"{n:032x}" for n in range(4, 10)]
    inbox.ack([m.id for m in claimed])
    assert inbox.exact_depth() == 6
    inbox.close()


def test_released_messages_come_back_with_their_attempt_count(tmp_path: Path) -> None:
    inbox = SqliteInbox(tmp_path / "q.sqlite3", max_depth=100)
    _put(inbox, [_message(1)])
    first = inbox.claim(10)
    inbox.release([m.id for m in first])
    again = inbox.claim(10)
    assert [m.id for m in again] == [m.id for m in first]
    assert again[0].attempts == 2
    inbox.close()


def test_messages_survive_reopening(tmp_path: Path) -> None:
    inbox = SqliteInbox(tmp_path / "q.sqlite3", max_depth=100)
    _put(inbox, [_message(n) for n in range(5)])
    inbox.close()
    reopened = SqliteInbox(tmp_path / "q.sqlite3", max_depth=100)
    assert reopened.depth() == 5
    assert len(reopened.claim(10)) == 5
    reopened.close()


def test_over_the_bound_raises_queue_full_with_retry_after(tmp_path: Path) -> None:
    inbox = SqliteInbox(tmp_path / "q.sqlite3", max_depth=3)
    _put(inbox, [_message(n) for n in range(3)])
    with pytest.raises(QueueFull) as info:
        _put(inbox, [_message(9)])
    assert info.value.retry_after > 0
    inbox.ack([m.id for m in inbox.claim(3)])
    _put(inbox, [_message(10)])  # room again once acked
    assert inbox.exact_depth() == 1
    inbox.close()


def test_leases_of_a_dead_process_are_reclaimed_at_once(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    inbox = SqliteInbox(path, max_depth=100)
    _put(inbox, [_message(n) for n in range(3)])
    inbox.close()
    # Another process claims everything and dies without acking (like kill -9).
    script = (
        "import sys; from pathlib import Path; from faultbox.queue.sqlite_inbox import SqliteInbox;"
        f"q = SqliteInbox(Path({str(path)!r}), max_depth=100); print(len(q.claim(10)))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "3"
    survivor = SqliteInbox(path, max_depth=100)
    reclaimed = survivor.claim(10)
    assert len(reclaimed) == 3 and all(m.attempts == 2 for m in reclaimed)
    survivor.close()


def test_leases_of_a_live_process_are_respected(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    holder = SqliteInbox(path, max_depth=100)
    _put(holder, [_message(1)])
    assert len(holder.claim(10)) == 1
    other = SqliteInbox(path, max_depth=100)
    other.owner = f"{os.uname().nodename}:{os.getppid()}"  # a different, live owner
    assert other.claim(10) == []
    holder.close()
    other.close()

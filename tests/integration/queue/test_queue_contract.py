"""Both queues keep the same promises: what was appended is claimed whole, an ack
forgets it, a release hands it back as one more attempt, the bound answers QueueFull,
and the lag is the oldest message's wait.  Redis alone: a silent consumer's entries
are claimed by another, and an unreachable Redis is QueueUnavailable, never a loss."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from faultbox.queue.base import IngestMeta, NewMessage, QueueFull, QueueUnavailable
from faultbox.queue.redis_streams import RedisStreams
from faultbox.queue.sqlite_inbox import SqliteInbox
from tests.support import free_port, put_sync


def _message(n: int, *, received_at: float | None = None) -> NewMessage:
    return NewMessage(
        7,
        "sentry_event",
        f"{n:032x}",
        received_at if received_at is not None else time.time(),
        b'{"n": %d, "pad": "%s"}' % (n, b"x" * 2000),
        IngestMeta(client_ip="127.0.0.1", user_agent="ua/1", sent_at=1.5),
    )


def _redis(settings: dict[str, str], **kw: Any) -> RedisStreams:
    options: dict[str, Any] = {"shards": 3, "max_depth": 50, "claim_idle_seconds": 1} | kw
    return RedisStreams(settings["queue_url"], name=settings["queue_name"], **options)


@pytest.fixture(params=["sqlite", "redis"])
def queue(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "sqlite":
        q: Any = SqliteInbox(tmp_path / "q.sqlite3", max_depth=50)
    else:
        q = _redis(request.getfixturevalue("redis_queue"))
    yield q
    q.close()


def _drain(queue: Any, limit: int = 100) -> list[Any]:
    claimed: list[Any] = []
    for _ in range(10):
        batch = queue.claim(limit)
        if not batch:
            break
        claimed += batch
    return claimed


def test_messages_come_back_whole_and_an_ack_forgets_them(queue: Any) -> None:
    put_sync(queue, [_message(n) for n in range(12)])
    assert queue.exact_depth() == 12
    first = queue.claim(5)
    assert len(first) == 5
    rest = _drain(queue)
    claimed = first + rest
    assert sorted(m.event_id for m in claimed) == [f"{n:032x}" for n in range(12)]
    sample = claimed[0]
    n = int(sample.event_id, 16)
    assert sample.payload == _message(n).payload and sample.project_id == 7
    assert sample.meta == IngestMeta(client_ip="127.0.0.1", user_agent="ua/1", sent_at=1.5)
    assert {m.attempts for m in claimed} == {1}
    queue.ack([m.id for m in first])
    assert queue.exact_depth() == 7
    queue.ack([m.id for m in rest])
    assert queue.exact_depth() == 0 and queue.claim(10) == []


def test_a_claim_never_exceeds_its_limit(queue: Any) -> None:
    put_sync(queue, [_message(n) for n in range(30)])
    sizes = []
    while batch := queue.claim(4):
        sizes.append(len(batch))
        queue.ack([m.id for m in batch])
    assert max(sizes) <= 4 and sum(sizes) == 30


def test_a_released_message_returns_as_one_more_attempt(queue: Any) -> None:
    put_sync(queue, [_message(1), _message(2)])
    claimed = _drain(queue)
    queue.release([m.id for m in claimed if m.event_id == f"{1:032x}"])
    queue.ack([m.id for m in claimed if m.event_id == f"{2:032x}"])
    again = _drain(queue)
    assert [(m.event_id, m.attempts) for m in again] == [(f"{1:032x}", 2)]
    queue.release([again[0].id])
    third = _drain(queue)
    assert [m.attempts for m in third] == [3]
    queue.ack([third[0].id])
    assert queue.exact_depth() == 0


def test_the_bound_answers_queue_full(queue: Any) -> None:
    put_sync(queue, [_message(n) for n in range(50)])
    with pytest.raises(QueueFull) as full:
        put_sync(queue, [_message(99)])
    assert full.value.retry_after > 0
    batch = queue.claim(10)
    queue.ack([m.id for m in batch])
    time.sleep(1.1)  # the cached depth of other processes' acks is refreshed each second
    put_sync(queue, [_message(100)])
    assert queue.exact_depth() == 41


def test_the_lag_is_the_oldest_messages_wait(queue: Any) -> None:
    assert queue.oldest_age_seconds() == 0.0
    put_sync(queue, [_message(1, received_at=time.time() - 30), _message(2)])
    assert 29 <= queue.oldest_age_seconds() < 60
    assert queue.has_claimable()


def test_a_silent_consumers_entries_are_claimed_by_another(
    redis_queue: dict[str, str],
) -> None:
    dead = _redis(redis_queue, consumer="worker-a")
    alive = _redis(redis_queue, consumer="worker-b")
    put_sync(dead, [_message(n) for n in range(6)])
    taken = dead.claim(4)
    assert len(taken) == 4
    dead.ack([taken[0].id])  # one committed before the "crash"; three held
    rest = alive.claim(10)  # the fresh ones are not held by anybody
    assert len(rest) == 2 and all(m.attempts == 1 for m in rest)
    alive.ack([m.id for m in rest])
    assert alive.claim(10) == []  # held for less than claim_idle: not taken yet
    time.sleep(1.2)
    alive._reclaimed_at = 0.0  # reclaim passes run every few seconds
    reclaimed = alive.claim(10)
    assert sorted(m.event_id for m in reclaimed) == sorted(m.event_id for m in taken[1:])
    assert {m.attempts for m in reclaimed} == {2}
    alive.ack([m.id for m in reclaimed])
    assert alive.exact_depth() == 0
    dead.close()
    alive.close()


def test_reclaim_passes_go_on_past_entries_this_worker_already_holds(
    redis_queue: dict[str, str],
) -> None:
    dead = _redis(redis_queue, consumer="worker-a", shards=1)
    alive = _redis(redis_queue, consumer="worker-b", shards=1)
    put_sync(dead, [_message(n) for n in range(30)])
    assert len(dead.claim(30)) == 30  # then the worker dies holding all of them
    time.sleep(1.2)
    alive._reclaimed_at = 0.0
    first = alive.claim(10)  # held, not acknowledged (the database is slow, say)
    assert len(first) == 10
    time.sleep(1.2)  # alive's own entries are now idle as long as the dead one's
    alive._reclaimed_at = 0.0
    second = alive.claim(10)
    assert len(second) == 10
    assert not {m.event_id for m in first} & {m.event_id for m in second}
    alive.ack([m.id for m in first + second])
    dead.close()
    alive.close()


def test_lost_groups_are_created_again(redis_queue: dict[str, str]) -> None:
    queue = _redis(redis_queue)
    put_sync(queue, [_message(1)])
    queue.ack([m.id for m in queue.claim(10)])
    client = redis.Redis.from_url(redis_queue["queue_url"])
    for stream in queue.streams:
        client.delete(stream)  # as after a restart of a Redis that kept nothing
    put_sync(queue, [_message(2)])
    assert [m.event_id for m in _drain(queue)] == [f"{2:032x}"]
    client.close()
    queue.close()


def test_an_unreachable_redis_is_unavailable_not_lost() -> None:
    queue = RedisStreams(
        f"redis://127.0.0.1:{free_port()}/0",
        name="nowhere",
        shards=2,
        max_depth=10,
        claim_idle_seconds=1,
    )
    with pytest.raises(QueueUnavailable):
        put_sync(queue, [_message(1)])
    with pytest.raises(QueueUnavailable):
        queue.claim(10)
    with pytest.raises(QueueUnavailable):
        queue.exact_depth()
    assert queue.has_claimable() is False
    asyncio.run(queue.aclose())


def test_a_redis_without_its_append_only_file_is_warned_about(
    redis_queue: dict[str, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.e2e.scale_support import PrivateRedis

    def warned(url: str) -> bool:
        caplog.clear()
        queue = RedisStreams(
            url, name=redis_queue["queue_name"], shards=1, max_depth=10, claim_idle_seconds=1
        )
        queue.claim(1)
        queue.close()
        return any("appendonly" in r.getMessage() for r in caplog.records)

    client = redis.Redis.from_url(redis_queue["queue_url"])
    shared_keeps_nothing = client.config_get("appendonly")["appendonly"] == "no"
    client.close()
    assert warned(redis_queue["queue_url"]) is shared_keeps_nothing
    durable = PrivateRedis(tmp_path / "redis")  # appendonly yes, appendfsync always
    try:
        assert warned(durable.url) is False
    finally:
        durable.stop()

"""Scale-mode queue: Redis Streams with one consumer group, spread over shards.

Ingest appends each message to one of ``shards`` streams (by event id, so load spreads
evenly) and answers only after Redis has it; run Redis with ``appendonly yes`` so that
what it has survives its restart.  Every worker reads all shards as one consumer of the
group ``digest`` and acknowledges (XACK, then XDEL so that the stream's length is the
backlog) only after the batch is committed to the database.

A worker that dies leaves its entries pending; any other worker claims them with
XAUTOCLAIM once they have been idle ``claim_idle`` seconds.  Redis's delivery count is
the attempt count, so an entry that kills every worker that takes it is dead-lettered
after ``max_attempts`` claims like any other poison message.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import orjson
import redis
import redis.asyncio
import zstandard
from redis.exceptions import RedisError, ResponseError

from faultbox.queue.base import InboxMessage, IngestMeta, NewMessage, QueueFull, QueueUnavailable

log = logging.getLogger(__name__)

GROUP = "digest"
# How long one claim waits in Redis for new entries: the idle worker's only wait, and
# the bound on how long a stop request goes unnoticed.
BLOCK_SECONDS = 0.25
RECLAIM_EVERY_SECONDS = 5.0
# A consumer that holds nothing and has not read for this long is forgotten.
FORGET_CONSUMER_SECONDS = 3600.0
_TIMEOUTS: dict[str, Any] = {"socket_timeout": 5.0, "socket_connect_timeout": 2.0}

_Entry = tuple[bytes, Mapping[bytes, bytes]]


def _encode_meta(meta: IngestMeta) -> bytes:
    if meta == IngestMeta():
        return b""
    return orjson.dumps({"ip": meta.client_ip, "ua": meta.user_agent, "sent_at": meta.sent_at})


def _decode_meta(raw: bytes) -> IngestMeta:
    if not raw:
        return IngestMeta()
    data = orjson.loads(raw)
    return IngestMeta(
        client_ip=data.get("ip"), user_agent=data.get("ua"), sent_at=data.get("sent_at")
    )


class RedisStreams:
    def __init__(
        self,
        url: str,
        *,
        name: str,
        shards: int,
        max_depth: int,
        claim_idle_seconds: float,
        consumer: str | None = None,
    ) -> None:
        self.url = url
        self.streams = [f"{name}:inbox:{shard}" for shard in range(shards)]
        self.max_depth = max_depth
        self.claim_idle_ms = int(claim_idle_seconds * 1000)
        self.consumer = consumer or f"{socket.gethostname()}:{os.getpid()}"
        self._redis = redis.Redis.from_url(url, **_TIMEOUTS)
        self._async: tuple[asyncio.AbstractEventLoop, redis.asyncio.Redis] | None = None
        self._zstd = zstandard.ZstdCompressor(level=1)
        self._unzstd = zstandard.ZstdDecompressor()
        self._groups_ready = False
        self._depth = 0
        self._recounted_at = 0.0
        self._reclaimed_at = 0.0
        self._reclaim_from: dict[str, bytes] = {}  # stream → XAUTOCLAIM's next cursor
        self._start = 0
        # Claimed entries by the int id the digest sees.
        self._claimed: dict[int, tuple[str, bytes, InboxMessage]] = {}
        self._next_id = 1
        # Released entries stay pending under this consumer; they are handed out again
        # by the next claim, counting one more attempt.
        self._returned: list[InboxMessage] = []
        self._lock = threading.Lock()
        self._closed = False

    # -- producer side (ingest) -------------------------------------------------

    async def put_many(self, messages: list[NewMessage]) -> None:
        if not messages:
            return
        if self._closed:
            raise QueueUnavailable("the queue is shutting down")
        client = self._async_client()
        try:
            if self._depth + len(messages) > self.max_depth or self._recount_due():
                self._depth = await self._count(client)
                if self._depth + len(messages) > self.max_depth:
                    raise QueueFull(retry_after=10)
            pipe = client.pipeline(transaction=False)
            for message in messages:
                pipe.xadd(self._stream_for(message.event_id), self._fields(message))
            await pipe.execute()
        except RedisError as exc:
            log.error("redis queue: could not append: %s", exc)
            raise QueueUnavailable(f"redis: {exc}") from None
        self._depth += len(messages)

    def _stream_for(self, event_id: str) -> str:
        return self.streams[zlib.crc32(event_id.encode()) % len(self.streams)]

    def _fields(self, m: NewMessage) -> dict[Any, Any]:
        return {
            "p": m.project_id,
            "k": m.kind,
            "e": m.event_id,
            "t": repr(m.received_at),
            "d": self._zstd.compress(m.payload),
            "m": _encode_meta(m.meta),
        }

    def _recount_due(self) -> bool:
        # Other processes ingest and ack too: the cached depth is refreshed every second.
        now = time.monotonic()
        if now - self._recounted_at < 1.0:
            return False
        self._recounted_at = now
        return True

    async def _count(self, client: redis.asyncio.Redis) -> int:
        pipe = client.pipeline(transaction=False)
        for stream in self.streams:
            pipe.xlen(stream)
        return sum(int(n) for n in await pipe.execute())

    def _async_client(self) -> redis.asyncio.Redis:
        # An asyncio client belongs to the loop it was first used on (the CLI runs its
        # own short loops); the server has one loop, so this is created once there.
        loop = asyncio.get_running_loop()
        if self._async is None or self._async[0] is not loop:
            self._async = (loop, redis.asyncio.Redis.from_url(self.url, **_TIMEOUTS))
        return self._async[1]

    # -- consumer side (digest) -------------------------------------------------

    def claim(self, limit: int) -> list[InboxMessage]:
        with self._lock:
            try:
                try:
                    return self._claim(limit)
                except ResponseError as exc:
                    if "NOGROUP" not in str(exc):
                        raise
                    # Redis lost its data (restarted without persistence, or the keys
                    # were deleted): create the groups again and go on.
                    log.error("redis queue: consumer group missing, creating it again")
                    self._groups_ready = False
                    return self._claim(limit)
            except RedisError as exc:
                raise QueueUnavailable(f"redis: {exc}") from None

    def _claim(self, limit: int) -> list[InboxMessage]:
        self._ensure_groups()
        taken, self._returned = self._returned[:limit], self._returned[limit:]
        if len(taken) < limit:
            taken += self._reclaim(limit - len(taken))
        # COUNT applies per stream: read them one by one so a claim never exceeds
        # ``limit``, starting at a different shard each time so none is starved.
        self._start = (self._start + 1) % len(self.streams)
        for stream in self.streams[self._start :] + self.streams[: self._start]:
            if len(taken) >= limit:
                break
            taken += self._read({stream: ">"}, limit - len(taken), block=None)
        if not taken:
            # Nothing anywhere: wait in Redis for the first new entry on any shard.
            per_stream = max(1, limit // len(self.streams))
            taken = self._read(
                dict.fromkeys(self.streams, ">"), per_stream, block=int(BLOCK_SECONDS * 1000)
            )
        return taken

    def _read(self, streams: dict[Any, Any], count: int, block: int | None) -> list[InboxMessage]:
        reply = self._redis.xreadgroup(GROUP, self.consumer, streams, count=count, block=block)
        return [
            self._message(stream, entry, attempts=1)
            for stream, entries in _by_stream(reply)
            for entry in entries
        ]

    def _reclaim(self, limit: int) -> list[InboxMessage]:
        """Entries a silent consumer (a dead worker) has held for ``claim_idle``."""
        now = time.monotonic()
        if now - self._reclaimed_at < RECLAIM_EVERY_SECONDS:
            return []
        self._reclaimed_at = now
        found: list[InboxMessage] = []
        for stream in self.streams:
            if len(found) >= limit:
                break
            start = self._reclaim_from.get(stream, b"0-0")
            reply = self._redis.xautoclaim(
                stream, GROUP, self.consumer, self.claim_idle_ms, start, count=limit - len(found)
            )
            # Go on from where this pass stopped (0-0 once the whole list was seen), so a
            # long run of entries nobody may claim yet cannot hide older ones behind it.
            self._reclaim_from[stream] = reply[0]
            # Our own entries idle too while the database is down: they are not lost.
            held = {entry_id for name, entry_id, _ in self._claimed.values() if name == stream}
            entries = [e for e in reply[1] if e and e[1] and e[0] not in held]
            if not entries:
                continue
            log.warning("reclaimed %d entries of %s from a silent worker", len(entries), stream)
            counts = self._delivery_counts(stream, [entry_id for entry_id, _ in entries])
            found += [self._message(stream, e, attempts=counts.get(e[0], 1)) for e in entries]
        self._forget_idle_consumers()
        return found

    def _delivery_counts(self, stream: str, ids: list[bytes]) -> dict[bytes, int]:
        pipe = self._redis.pipeline(transaction=False)
        for entry_id in ids:
            pipe.xpending_range(stream, GROUP, min=entry_id, max=entry_id, count=1)
        counts: dict[bytes, int] = {}
        for rows in pipe.execute():
            for row in rows:
                counts[row["message_id"]] = int(row["times_delivered"])
        return counts

    def _forget_idle_consumers(self) -> None:
        for stream in self.streams:
            for info in self._redis.xinfo_consumers(stream, GROUP):
                idle_ms = int(info.get("inactive", info.get("idle", 0)))
                if int(info["pending"]) == 0 and idle_ms > FORGET_CONSUMER_SECONDS * 1000:
                    self._redis.xgroup_delconsumer(stream, GROUP, info["name"])

    def _message(self, stream: str, entry: _Entry, *, attempts: int) -> InboxMessage:
        entry_id, fields = entry
        message = InboxMessage(
            id=self._next_id,
            project_id=int(fields[b"p"]),
            kind=fields[b"k"].decode(),
            event_id=fields[b"e"].decode(),
            received_at=float(fields[b"t"]),
            payload=self._unzstd.decompress(fields[b"d"]),
            meta=_decode_meta(fields.get(b"m", b"")),
            attempts=attempts,
        )
        self._next_id += 1
        self._claimed[message.id] = (stream, entry_id, message)
        return message

    def _ensure_groups(self) -> None:
        if self._groups_ready:
            return
        for stream in self.streams:
            try:
                # From "0": entries appended before the group existed are digested too.
                self._redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
        self._groups_ready = True
        self._warn_if_not_durable()

    def _warn_if_not_durable(self) -> None:
        """Events live only in Redis between ingest's 200 and the worker's commit: a
        Redis without its append-only file loses them when it restarts."""
        try:
            appendonly = self._redis.config_get("appendonly").get("appendonly")
        except RedisError:  # CONFIG may be disabled (managed Redis): nothing to say
            return
        if appendonly in ("no", b"no"):
            log.warning(
                "redis queue: Redis runs without 'appendonly yes': events it acknowledged "
                "are lost if it restarts (see docs/deployment.md, Redis)"
            )

    def ack(self, ids: list[int]) -> None:
        if not ids:
            return
        with self._lock:
            entries = [self._claimed.pop(i) for i in ids if i in self._claimed]
            by_stream: dict[str, list[bytes]] = {}
            for stream, entry_id, _ in entries:
                by_stream.setdefault(stream, []).append(entry_id)
            try:
                pipe = self._redis.pipeline(transaction=True)
                for stream, entry_ids in by_stream.items():
                    pipe.xack(stream, GROUP, *entry_ids)
                    pipe.xdel(stream, *entry_ids)
                pipe.execute()
            except RedisError as exc:
                # Committed but not acknowledged: the entries come back to a worker
                # later and are recognised as duplicates by their event id.
                raise QueueUnavailable(f"redis: {exc}") from None
        self._depth = max(0, self._depth - len(entries))

    def release(self, ids: list[int]) -> None:
        with self._lock:
            for message_id in ids:
                held = self._claimed.pop(message_id, None)
                if held is None:
                    continue
                stream, entry_id, message = held
                # Each release is one more attempt, so a message that keeps failing ends
                # up a dead letter although Redis itself delivered it only once.
                again = replace(message, id=self._next_id, attempts=message.attempts + 1)
                self._next_id += 1
                self._claimed[again.id] = (stream, entry_id, again)
                self._returned.append(again)

    # -- waiting and figures -----------------------------------------------------

    def wait(self, timeout: float) -> None:
        """Nothing to wait for here: an empty claim already blocked in Redis."""

    def wake(self) -> None:
        """A stop is noticed within one claim's block (BLOCK_SECONDS)."""

    def has_claimable(self) -> bool:
        if self._returned:
            return True
        try:
            for stream in self.streams:
                info = self._redis.xinfo_stream(stream)
                groups = {g["name"]: g for g in self._redis.xinfo_groups(stream)}
                delivered = groups.get(GROUP.encode(), {}).get("last-delivered-id", b"0-0")
                if info["length"] and _entry_key(info["last-generated-id"]) > _entry_key(delivered):
                    return True
        except RedisError:
            return False
        return False

    def depth(self) -> int:
        return self._depth

    def exact_depth(self) -> int:
        try:
            pipe = self._redis.pipeline(transaction=False)
            for stream in self.streams:
                pipe.xlen(stream)
            return sum(int(n) for n in pipe.execute())
        except RedisError as exc:
            raise QueueUnavailable(f"redis: {exc}") from None

    def oldest_age_seconds(self) -> float:
        """How long the oldest unacknowledged entry has waited: the queue lag."""
        try:
            pipe = self._redis.pipeline(transaction=False)
            for stream in self.streams:
                pipe.xrange(stream, "-", "+", count=1)
            firsts = [float(e[0][1][b"t"]) for e in pipe.execute() if e]
        except RedisError as exc:
            raise QueueUnavailable(f"redis: {exc}") from None
        return max(0.0, time.time() - min(firsts)) if firsts else 0.0

    def close(self) -> None:
        self._closed = True
        self._redis.close()

    async def aclose(self) -> None:
        self.close()
        await self.detach_loop()

    async def detach_loop(self) -> None:
        """Close the asyncio client of the running loop (before that loop ends); the
        queue stays usable and opens a new one on the next loop that appends."""
        if self._async is not None and self._async[0] is asyncio.get_running_loop():
            await self._async[1].aclose()
            self._async = None


def _by_stream(reply: Any) -> Iterable[tuple[str, list[_Entry]]]:
    # RESP2 answers a list of [stream, entries]; RESP3 a mapping.
    items = reply.items() if isinstance(reply, dict) else (reply or [])
    for stream, entries in items:
        name = stream.decode() if isinstance(stream, bytes) else str(stream)
        yield name, [e for e in entries if e and e[1]]


def _entry_key(entry_id: bytes | str) -> tuple[int, int]:
    raw = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    ms, _, seq = raw.partition("-")
    return int(ms), int(seq or 0)

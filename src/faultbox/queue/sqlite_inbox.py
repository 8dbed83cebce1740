"""Embedded queue: an inbox table in its own SQLite file, with group commit.

Requests handled in one event-loop turn are committed together, in the loop's
own thread, before any of them is answered: the 2xx always follows a commit, and
N concurrent requests cost one commit, not N.  (A writer thread was measured to
cost more: every hand-off and wake-up across threads costs CPU that the commit
itself does not.)  The inbox lives in a separate file from the store so that ingest
commits never wait behind a digest transaction (SQLite has one writer per file).

Claims are leases owned by ``host:pid``.  A message leased by a process that no
longer exists (``kill -9``) is claimable again at once; an expired lease is too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import sqlite3
import threading
import time
from pathlib import Path

import orjson
import zstandard

from faultbox.queue.base import InboxMessage, IngestMeta, NewMessage, QueueFull, QueueUnavailable

log = logging.getLogger(__name__)

LEASE_SECONDS = 60.0

# Leases live in their own small table: claiming then writes ~40-byte rows instead
# of rewriting each (kilobytes-long) message row (measured: 17 ms → 3 ms per 500).
_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    event_id TEXT NOT NULL,
    received_at REAL NOT NULL,
    payload BLOB NOT NULL,
    meta BLOB
);
CREATE TABLE IF NOT EXISTS inbox_leases (
    id INTEGER PRIMARY KEY,
    owner TEXT NOT NULL,
    until REAL NOT NULL,
    attempts INTEGER NOT NULL
);
"""
_UNLEASED = "NOT EXISTS (SELECT 1 FROM inbox_leases l WHERE l.id = inbox.id AND l.until >= ?)"


def _encode_meta(meta: IngestMeta) -> bytes | None:
    if meta == IngestMeta():
        return None
    return orjson.dumps({"ip": meta.client_ip, "ua": meta.user_agent, "sent_at": meta.sent_at})


def _decode_meta(raw: bytes | None) -> IngestMeta:
    if not raw:
        return IngestMeta()
    data = orjson.loads(raw)
    return IngestMeta(
        client_ip=data.get("ip"), user_agent=data.get("ua"), sent_at=data.get("sent_at")
    )


def _connect(path: Path, sync: str, busy_ms: int = 30_000) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={'FULL' if sync == 'full' else 'NORMAL'}")
    conn.execute(f"PRAGMA busy_timeout={busy_ms}")
    return conn


_Waiting = tuple[list[NewMessage], "asyncio.Future[None]"]


class SqliteInbox:
    def __init__(self, path: Path, *, max_depth: int, sync: str = "normal") -> None:
        self.path = path
        self.max_depth = max_depth
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self._sync = sync
        # The producer commits on the event loop: it must not wait long for the lock.
        self._conn = _connect(path, sync, busy_ms=5_000)
        self._conn.executescript(_SCHEMA)
        self._claim_lock = threading.Lock()
        (count,) = self._conn.execute("SELECT count(*) FROM inbox").fetchone()
        # An approximate depth kept in memory: the bound must not cost a query per request.
        self._depth = int(count)
        self._recounted_at = 0.0
        self._owners_checked_at = 0.0
        self._loop_batch: list[_Waiting] = []
        # Payloads are stored compressed: a 9 KB event shrinks to ~2.6 KB and fits in
        # its B-tree page, so inserts, claims and deletes touch a third of the pages
        # (and hold the lock that ingest commits wait on for a third of the time).
        self._zstd = zstandard.ZstdCompressor(level=1)
        self._unzstd = zstandard.ZstdDecompressor()
        # Set after each commit so an in-process digest worker wakes at once.
        self.wakeup = threading.Event()
        self._closed = False

    # -- producer side (ingest) -------------------------------------------------

    async def put_many(self, messages: list[NewMessage]) -> None:
        if not messages:
            return
        if self._depth + len(messages) > self.max_depth:
            self._recount_depth()
            if self._depth + len(messages) > self.max_depth:
                raise QueueFull(retry_after=10)
        if self._closed:
            raise QueueUnavailable("the queue is shutting down")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        # Requests handled in the same event-loop turn share one commit.
        self._loop_batch.append((messages, future))
        if len(self._loop_batch) == 1:
            loop.call_soon(self._flush)
        await future

    def _flush(self) -> None:
        batch, self._loop_batch = self._loop_batch, []
        try:
            error = self._commit([m for messages, _ in batch for m in messages])
        except Exception as exc:  # whatever happens, no request may wait forever
            log.exception("inbox commit failed")
            error = exc
        for _, future in batch:
            if future.done():
                continue
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(QueueUnavailable(f"could not persist: {error}"))

    def _commit(self, messages: list[NewMessage]) -> Exception | None:
        compress = self._zstd.compress
        rows = [
            (
                m.project_id,
                m.kind,
                m.event_id,
                m.received_at,
                compress(m.payload),
                _encode_meta(m.meta),
            )
            for m in messages
        ]
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany(
                "INSERT INTO inbox (project_id, kind, event_id, received_at, payload, meta)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            log.error("inbox commit failed: %s", exc)
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")
            return exc
        self._depth += len(rows)
        self.wakeup.set()
        return None

    # -- consumer side (digest) -------------------------------------------------

    def has_claimable(self) -> bool:
        """A lock-free look, so an idle poller does not contend with ingest commits."""
        with self._claim_lock:
            row = (
                self._consumer_conn()
                .execute(f"SELECT 1 FROM inbox WHERE {_UNLEASED} LIMIT 1", (time.time(),))
                .fetchone()
            )
        return row is not None

    def claim(self, limit: int) -> list[InboxMessage]:
        if not self.has_claimable() and not self._dead_owner_leases():
            return []
        now = time.time()
        with self._claim_lock:
            conn = self._consumer_conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._expire_dead_owners(conn, now)
                # Only ids under the write lock: ingest commits wait on this lock,
                # so the payloads are read after it is released.
                ids = [
                    i
                    for (i,) in conn.execute(
                        f"SELECT id FROM inbox WHERE {_UNLEASED} ORDER BY id LIMIT ?",
                        (now, limit),
                    )
                ]
                leases = conn.execute(
                    "INSERT INTO inbox_leases (id, owner, until, attempts)"
                    " SELECT value, ?, ?, 1 FROM json_each(?) WHERE true"
                    " ON CONFLICT (id) DO UPDATE SET owner = excluded.owner,"
                    " until = excluded.until, attempts = attempts + 1"
                    " RETURNING id, attempts",
                    (self.owner, now + LEASE_SECONDS, orjson.dumps(ids)),
                ).fetchall()
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            attempts = dict(leases)
            rows = conn.execute(
                "SELECT id, project_id, kind, event_id, received_at, payload, meta"
                " FROM inbox WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id",
                (orjson.dumps(ids),),
            ).fetchall()
        return [
            InboxMessage(
                id=r[0],
                project_id=r[1],
                kind=r[2],
                event_id=r[3],
                received_at=r[4],
                payload=self._unzstd.decompress(r[5]),
                meta=_decode_meta(r[6]),
                attempts=attempts[r[0]],
            )
            for r in rows
        ]

    def _dead_owner_leases(self) -> bool:
        # Checked at most every few seconds: a dead worker's leases are rare.
        now = time.monotonic()
        if now - self._owners_checked_at < 2.0:
            return False
        self._owners_checked_at = now
        return True

    def _expire_dead_owners(self, conn: sqlite3.Connection, now: float) -> None:
        owners = conn.execute(
            "SELECT DISTINCT owner FROM inbox_leases WHERE until >= ?", (now,)
        ).fetchall()
        here = socket.gethostname()
        for (owner,) in owners:
            host, _, pid = str(owner).rpartition(":")
            if owner != self.owner and host == here and pid.isdigit() and not _pid_alive(int(pid)):
                log.warning("reclaiming messages leased by dead worker %s", owner)
                conn.execute("UPDATE inbox_leases SET until = 0 WHERE owner = ?", (owner,))

    def ack(self, ids: list[int]) -> None:
        self._write_ids(
            ids,
            "DELETE FROM inbox WHERE id IN (SELECT value FROM json_each(?))",
            "DELETE FROM inbox_leases WHERE id IN (SELECT value FROM json_each(?))",
        )
        self._depth = max(0, self._depth - len(ids))

    def release(self, ids: list[int]) -> None:
        # The lease row stays (with its attempt count); it just stops holding.
        self._write_ids(
            ids, "UPDATE inbox_leases SET until = 0 WHERE id IN (SELECT value FROM json_each(?))"
        )

    def _write_ids(self, ids: list[int], *statements: str) -> None:
        # One statement per table for the whole batch: the ids travel as one JSON array.
        if not ids:
            return
        param = (orjson.dumps(ids),)
        with self._claim_lock:
            conn = self._consumer_conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                for sql in statements:
                    conn.execute(sql, param)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _consumer_conn(self) -> sqlite3.Connection:
        if not hasattr(self, "_consumer"):
            self._consumer = _connect(self.path, self._sync)
        return self._consumer

    def wait(self, timeout: float) -> None:
        # An in-process worker is woken by the commit; a separate process just polls.
        self.wakeup.wait(timeout)
        self.wakeup.clear()

    def wake(self) -> None:
        self.wakeup.set()

    def depth(self) -> int:
        return self._depth

    def _recount_depth(self) -> None:
        # Other processes (``faultbox worker``) ack too; re-read at most once a second.
        now = time.monotonic()
        if now - self._recounted_at >= 1.0:
            self._recounted_at = now
            self._depth = self.exact_depth()

    def exact_depth(self) -> int:
        with self._claim_lock:
            (count,) = self._consumer_conn().execute("SELECT count(*) FROM inbox").fetchone()
        return int(count)

    def oldest_age_seconds(self) -> float:
        """How long the oldest queued message has waited (0 when empty): the queue lag."""
        with self._claim_lock:
            (oldest,) = (
                self._consumer_conn().execute("SELECT min(received_at) FROM inbox").fetchone()
            )
        return 0.0 if oldest is None else max(0.0, time.time() - float(oldest))

    async def aclose(self) -> None:
        self.close()

    def close(self) -> None:
        self._closed = True
        self._conn.close()
        if hasattr(self, "_consumer"):
            self._consumer.close()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

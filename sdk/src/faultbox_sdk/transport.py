"""The background transport: the application's thread only puts an event into a bounded
queue (never waits, never raises; a full queue drops and counts); one daemon thread moves
batches from it into the outbox (``buffer.py``: on disk by default) and delivers the
outbox oldest first, backing off exponentially with jitter when the server is away, and
for as long as a 429's ``Retry-After`` asks.
"""

from __future__ import annotations

import logging
import os
import queue
import random
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from faultbox_sdk.buffer import Buffer
from faultbox_sdk.http import Sender

logger = logging.getLogger("faultbox_sdk")

_WAKE = None  # a queue item that only wakes the thread (flush, close)


def _restart_in_child(ref: weakref.ReferenceType[Transport]) -> None:
    transport = ref()
    if transport is not None:
        try:
            transport._after_fork()
        except Exception:
            pass  # the child must start whatever happens here


@dataclass
class Backoff:
    """``base · 2^attempt`` capped, with "equal jitter": half fixed, half random, so
    clients that failed together do not come back together, yet never retry at once."""

    base: float = 1.0
    cap: float = 300.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int) -> float:
        ceiling = min(self.cap, self.base * 2.0 ** min(attempt, 32))
        return ceiling / 2 + self.rng.random() * ceiling / 2


@dataclass
class Stats:
    queued: int = 0
    dropped_queue_full: int = 0
    delivered: int = 0
    refused: int = 0
    failures: int = 0


class Transport:
    def __init__(
        self,
        sender: Sender,
        buffer: Buffer,
        *,
        max_queue: int = 1000,
        batch_size: int = 100,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
        start: bool = True,
    ) -> None:
        self.sender = sender
        self.buffer = buffer
        self.batch_size = batch_size
        self.backoff = backoff or Backoff()
        self.clock = clock
        self.stats = Stats()
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=max_queue)
        self._attempt = 0
        self._not_before = 0.0  # clock time before which nothing is sent
        self._idle = threading.Condition()
        self._busy = False  # the thread holds events that are neither queued nor buffered
        self._stopping = False
        self._stuck = False
        self._thread: threading.Thread | None = None
        if hasattr(os, "register_at_fork"):
            ref = weakref.ref(self)
            os.register_at_fork(after_in_child=lambda: _restart_in_child(ref))
        if start:
            self.start()

    def _after_fork(self) -> None:
        """In a forked child (pre-fork servers): the thread did not survive the fork and
        the queue's locks may be held; start over with an empty queue (the parent still
        sends what it had queued)."""
        self._queue = queue.Queue(maxsize=self._queue.maxsize)
        self.buffer.after_fork()
        self._idle = threading.Condition()
        self._busy = False
        self.stats = Stats()
        if self._thread is not None and not self._stopping:
            self._thread = None
            self.start()

    # -- the application's side ------------------------------------------------------

    def submit(self, event: dict[str, Any]) -> bool:
        """Queue an event for delivery; False (counted) when the queue is full."""
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.stats.dropped_queue_full += 1
            return False
        self.stats.queued += 1
        return True

    @property
    def dropped(self) -> int:
        return self.stats.dropped_queue_full + self.buffer.dropped

    def backing_off(self) -> bool:
        return self.clock() < self._not_before

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait until every event captured so far is delivered (True), or is waiting in
        the outbox because the server is away (False), or the timeout passed (False)."""
        deadline = time.monotonic() + max(timeout, 0.0)
        self._wake()
        with self._idle:
            while True:
                # unfinished_tasks counts items from put() until the thread's task_done(),
                # which it calls only once they are in the outbox (and _busy is set).
                settled = self._queue.unfinished_tasks == 0 and not self._busy
                if settled and self.buffer.count() == 0:
                    return True
                if settled and self.backing_off():
                    return False
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(min(left, 0.05))

    def close(self, timeout: float = 2.0) -> None:
        """Flush, stop the thread, and put whatever is still queued into the outbox."""
        try:
            self.flush(timeout)
        finally:
            self._stopping = True
            self._wake()
            if self._thread is not None and self._thread is not threading.current_thread():
                self._thread.join(timeout=min(timeout, 1.0))
            rest, taken = self._take(self._queue.qsize() + 1)
            if rest:
                self.buffer.write(rest)
            for _ in range(taken):
                self._queue.task_done()

    def _wake(self) -> None:
        try:
            self._queue.put_nowait(_WAKE)
        except queue.Full:
            pass  # a full queue wakes the thread anyway

    # -- the thread ------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="faultbox-sdk", daemon=True)
            self._thread.start()

    def _take(self, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Up to ``limit`` queued events, and how many items were taken (wake-ups too)."""
        out: list[dict[str, Any]] = []
        taken = 0
        while len(out) < limit:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            taken += 1
            if item is not None:
                out.append(item)
        return out, taken

    def _run(self) -> None:
        while not self._stopping:
            try:
                self._step()
            except Exception:  # the thread must outlive any bug of ours
                logger.exception("faultbox_sdk: transport error")
                time.sleep(0.1)

    def _step(self) -> None:
        wait = 1.0
        if self.backing_off():
            wait = min(1.0, max(self._not_before - self.clock(), 0.0))
        elif self.buffer.count() and not self._stuck:
            wait = 0.0
        taken = 0
        try:
            first = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
            taken = 1
        except queue.Empty:
            first = None
        with self._idle:
            self._busy = True
        try:
            rest, more = self._take(self.batch_size - 1)
            taken += more
            batch = ([first] if first is not None else []) + rest
            if batch:
                try:
                    self.buffer.write(batch)
                except Exception:  # the outbox's own failures are counted in it
                    logger.exception("faultbox_sdk: could not keep %d events", len(batch))
            for _ in range(taken):
                self._queue.task_done()
            taken = 0
            self._stuck = False
            while not self._stopping and not self.backing_off() and self._deliver_one():
                if not self._queue.empty():
                    break  # new events first go to the outbox, in order
        finally:
            for _ in range(taken):  # an error before the outbox write: they are lost
                self._queue.task_done()
            with self._idle:
                self._busy = False
                self._idle.notify_all()

    def _deliver_one(self) -> bool:
        """Send the oldest outbox batch; True when there may be more to send now."""
        claimed = self.buffer.claim_oldest()
        if claimed is None:
            # Nothing, or only batches another process holds (or that cannot be renamed):
            # wait for new events or a second instead of spinning.
            self._stuck = True
            return False
        handle, events = claimed
        try:
            outcome = self.sender.send(events)
        except Exception:  # a bug of ours or an odd network stack: retry later, like a 5xx
            logger.debug("faultbox_sdk: sending failed", exc_info=True)
            self.buffer.release(handle)
            self.schedule_retry(None)
            return False
        self.stats.delivered += len(outcome.delivered)
        self.stats.refused += outcome.refused
        if not outcome.retry:
            self.buffer.remove(handle)
            if self._attempt:
                logger.info("faultbox_sdk: the server is back; delivering the backlog")
            self._attempt = 0
            return True
        remaining = outcome.retry if len(outcome.retry) != len(events) else None
        self.buffer.release(handle, remaining)
        self.schedule_retry(outcome.retry_after)
        return False

    def schedule_retry(self, retry_after: float | None) -> float:
        """Set when the next attempt may happen; returns the delay chosen."""
        self.stats.failures += 1
        delay = self.backoff.delay(self._attempt)
        if retry_after is not None:
            delay = retry_after  # the server said when: not sooner, and no later
        self._attempt += 1
        self._not_before = self.clock() + delay
        if self._attempt == 1:
            logger.warning(
                "faultbox_sdk: could not deliver events; retrying in %.1fs (kept in the outbox)",
                delay,
            )
        return delay

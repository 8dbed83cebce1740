"""The durable hand-off between ingest and digest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Kind:
    """What an inbox message carries; the digest dispatches on it."""

    SENTRY_EVENT = "sentry_event"  # one Sentry event JSON (envelope item or store body)
    NATIVE_ERROR = "native_error"  # one validated /api/v1/errors payload
    USER_REPORT = "user_report"  # legacy user_report or feedback item for an event
    CHECK_IN = "check_in"  # one cron monitor check-in, validated (ingest/checkins.py)
    SESSIONS = "sessions"  # release-health counts of a session/sessions item (ingest/sessions.py)


@dataclass(frozen=True, slots=True)
class IngestMeta:
    """Request facts the digest needs and the payload does not carry."""

    client_ip: str | None = None
    user_agent: str | None = None
    sent_at: float | None = None  # envelope header, for client clock-drift correction


@dataclass(frozen=True, slots=True)
class NewMessage:
    project_id: int
    kind: str
    event_id: str
    received_at: float
    payload: bytes  # the raw JSON bytes, exactly as decoded at ingest
    meta: IngestMeta = IngestMeta()


@dataclass(frozen=True, slots=True)
class InboxMessage:
    id: int
    project_id: int
    kind: str
    event_id: str
    received_at: float
    payload: bytes
    meta: IngestMeta
    attempts: int


class QueueFull(Exception):
    """The queue is over its bound: ingest answers 429 with Retry-After."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"queue full, retry after {retry_after}s")
        self.retry_after = retry_after


class QueueUnavailable(Exception):
    """The queue cannot persist right now: ingest answers 503, never 200."""


class Queue(Protocol):
    """What ingest and the digest need of a queue (embedded SQLite inbox, Redis Streams)."""

    async def put_many(self, messages: list[NewMessage]) -> None:
        """Return only once every message is durable; raise QueueFull/QueueUnavailable."""
        ...

    def claim(self, limit: int) -> list[InboxMessage]:
        """Up to ``limit`` messages leased to this process; raise QueueUnavailable."""
        ...

    def ack(self, ids: list[int]) -> None:
        """Forget messages whose results are committed."""
        ...

    def release(self, ids: list[int]) -> None:
        """Give claimed messages back (e.g. the store was unavailable)."""
        ...

    def wait(self, timeout: float) -> None:
        """After an empty claim: wait for new messages, at most ``timeout`` seconds."""
        ...

    def wake(self) -> None:
        """End a ``wait`` early (the worker is stopping)."""
        ...

    def has_claimable(self) -> bool: ...

    def depth(self) -> int:
        """An approximate, cheap count of queued messages."""
        ...

    def exact_depth(self) -> int: ...

    def oldest_age_seconds(self) -> float:
        """How long the oldest queued message has waited (the queue lag)."""
        ...

    def close(self) -> None:
        """Close from synchronous code (a worker process, the CLI)."""
        ...

    async def aclose(self) -> None:
        """Close from the event loop that ingest used (the server's shutdown)."""
        ...

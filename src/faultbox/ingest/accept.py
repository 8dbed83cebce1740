"""What every ingest endpoint shares: the bounded body read, key checks, enqueue."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from faultbox.config import Settings
from faultbox.ingest.errors import BadRequest, Forbidden, IngestError, PayloadTooLarge
from faultbox.ingest.http import IngestRequest
from faultbox.ingest.keys import KeyCache
from faultbox.ingest.outcomes import OutcomeCounter
from faultbox.ingest.protection import Admission, Protection
from faultbox.queue.base import NewMessage, Queue, QueueFull, QueueUnavailable
from faultbox.store.projects import KeyInfo


class Backpressure(IngestError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(429, f"too many queued events; retry after {retry_after} seconds")
        self.retry_after = retry_after


class Unavailable(IngestError):
    def __init__(self, detail: str) -> None:
        super().__init__(503, detail)


@dataclass
class IngestContext:
    settings: Settings
    queue: Queue
    keys: KeyCache
    outcomes: OutcomeCounter
    protection: Protection = field(init=False)

    def __post_init__(self) -> None:
        self.protection = Protection(self.settings, self.keys.engine, self.outcomes)

    async def admit(
        self, key: KeyInfo, messages: list[NewMessage], category: str = "error"
    ) -> Admission:
        """Sampling, rate limits and spike protection (ingest/protection.py)."""
        return await self.protection.admit(key, messages, category)

    async def aclose(self) -> None:
        await self.protection.aclose()

    async def read_body(self, request: IngestRequest) -> bytes:
        """Read the raw (still compressed) body, refusing it once it passes the bound."""
        limit = self.settings.max_body_size
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"request body of {declared} bytes exceeds {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"request body exceeds {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def project_for_key(self, public_key: str, path_project_id: str | None) -> KeyInfo:
        if path_project_id is not None and not path_project_id.isdigit():
            raise BadRequest(f"project id {path_project_id!r} in the URL is not a number")
        info = self.keys.lookup(public_key)
        if info is None:
            raise Forbidden("unknown public key")
        if not info.active:
            raise Forbidden("this key has been revoked")
        if path_project_id is not None and int(path_project_id) != info.project_id:
            raise Forbidden(f"this key does not belong to project {path_project_id}")
        return info

    async def enqueue(self, messages: list[NewMessage]) -> None:
        try:
            await self.queue.put_many(messages)
        except QueueFull as exc:
            for m in messages:
                self.outcomes.add(m.project_id, "error", "rejected", "queue_full")
            raise Backpressure(exc.retry_after) from None
        except QueueUnavailable as exc:
            raise Unavailable(f"cannot persist events right now: {exc}") from None


def now() -> float:
    return time.time()

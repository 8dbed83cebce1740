"""Counting events against per-key limits and the project's spike cap.

The counters live in a storage of the ``limits`` library: in memory when the queue is
embedded, in the queue's Redis in scale mode, so that every ``faultbox serve`` behind a
load balancer counts against the same numbers (Redis runs the increment and its expiry
as one script, so concurrent processes never lose a count).

Windows are fixed and aligned as Relay's quotas are: the clock minute and the UTC day.
The window's number is part of the counter's key, so a window ends by the clock
(``faultbox.clock``, which tests pin) and the storage's expiry only cleans up. The key
leaves out the limit itself (the library puts it in by default), so changing a key's
limit, or the spike cap moving, keeps counting the same window.

A refused request is refunded: only accepted events use up a limit.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import redis.asyncio
from limits import RateLimitItemPerSecond
from limits.aio.storage import Storage as AsyncStorage
from limits.aio.strategies import FixedWindowRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string

from faultbox.ingest.errors import IngestError

log = logging.getLogger(__name__)

MINUTE = 60
DAY = 86_400
# What the limits cover, in Relay's data categories (check-ins, sessions, feedback and
# client reports are not limited). Sent back in X-Sentry-Rate-Limits.
LIMITED_CATEGORIES = "error;default;security"
_REDIS_TIMEOUT = 1.0  # seconds: a slow Redis must not hold ingest up for long
_LOG_EVERY = 60.0


@dataclass(frozen=True, slots=True)
class Quota:
    """``limit`` events per ``window`` seconds for one key or project."""

    scope: str  # "key" or "project", as in X-Sentry-Rate-Limits
    scope_id: str  # the public key or the project id
    limit: int
    window: int  # MINUTE or DAY
    reason: str  # the reason code (X-Sentry-Rate-Limits, outcomes)

    def retry_after(self, now: float) -> int:
        """Whole seconds until the window ends (at least 1)."""
        end = (math.floor(now / self.window) + 1) * self.window
        return max(1, math.ceil(end - now))


class RateLimited(IngestError):
    """429: a quota is used up; the SDK should send no events until it resets."""

    def __init__(self, quota: Quota, now: float) -> None:
        self.quota = quota
        self.retry_after = quota.retry_after(now)
        super().__init__(
            429,
            f"rate limited ({quota.reason}: {quota.limit} events per "
            f"{'minute' if quota.window == MINUTE else 'day'}); "
            f"retry after {self.retry_after} seconds",
        )

    @property
    def sentry_header(self) -> str:
        """``X-Sentry-Rate-Limits``: ``<seconds>:<categories>:<scope>:<reason_code>``."""
        return f"{self.retry_after}:{LIMITED_CATEGORIES}:{self.quota.scope}:{self.quota.reason}"

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after), "X-Sentry-Rate-Limits": self.sentry_header}


class _Window(RateLimitItemPerSecond):
    """A window of ``multiples`` seconds whose counter key is only the identifiers."""

    def key_for(self, *identifiers: bytes | str | int | float) -> str:
        return "/".join([self.namespace, *(str(i) for i in identifiers)])


def storage_uri(queue_url: str) -> str:
    """The ``limits`` storage for a queue URL: its Redis, or memory when embedded."""
    if not queue_url:
        return "async+memory://"
    if queue_url.startswith("unix://"):
        return "async+redis+unix://" + queue_url.removeprefix("unix://")
    return "async+" + queue_url


def _redis_url(uri: str) -> str:
    """The redis-py URL of a ``limits`` storage URI."""
    url = uri.removeprefix("async+")
    return "unix://" + url.removeprefix("redis+unix://") if url.startswith("redis+unix") else url


class WindowCounter:
    def __init__(self, uri: str, key_prefix: str) -> None:
        options: dict[str, Any] = {}
        self._pool: redis.asyncio.ConnectionPool | None = None
        if "redis" in uri:
            # Our own pool, so that closing the app closes its connections.
            self._pool = redis.asyncio.ConnectionPool.from_url(
                _redis_url(uri),
                socket_timeout=_REDIS_TIMEOUT,
                socket_connect_timeout=_REDIS_TIMEOUT,
            )
            options = {
                "implementation": "redispy",
                "key_prefix": key_prefix,
                "connection_pool": self._pool,
            }
        storage = storage_from_string(uri, wrap_exceptions=True, **options)
        assert isinstance(storage, AsyncStorage)  # the async+ schemes give async storages
        self.storage = storage
        self.limiter = FixedWindowRateLimiter(storage)
        self._logged_at = 0.0

    async def take(self, quotas: list[Quota], cost: int, now: float) -> Quota | None:
        """Count ``cost`` events against every quota; the first one it would overrun
        is returned and nothing stays counted. Longer windows go first, so the quota
        returned is the one that stays in force the longest (Relay's Retry-After)."""
        if cost <= 0 or not quotas:
            return None
        taken: list[tuple[_Window, tuple[str, ...]]] = []
        try:
            for quota in sorted(quotas, key=lambda q: -q.window):
                item = _Window(quota.limit, quota.window, namespace="faultbox")
                window = str(int(now // quota.window))
                ids = (quota.scope, quota.scope_id, str(quota.window), window)
                fits = await self.limiter.hit(item, *ids, cost=cost)
                taken.append((item, ids))
                if not fits:
                    await self._refund(taken, cost)
                    return quota
        except (StorageError, OSError) as exc:
            self._fail_open(exc)
        return None

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.disconnect()

    async def _refund(self, taken: list[tuple[_Window, tuple[str, ...]]], cost: int) -> None:
        for item, ids in taken:
            await self.storage.incr(item.key_for(*ids), item.get_expiry(), amount=-cost)

    def _fail_open(self, exc: Exception) -> None:
        # The limiter protects the store; when its storage is down the event is accepted
        # (the queue itself answers 503 if the same Redis is gone). Logged once a minute.
        now = time.monotonic()
        if now - self._logged_at >= _LOG_EVERY:
            self._logged_at = now
            log.warning("rate limits not enforced, their storage failed: %s", exc)

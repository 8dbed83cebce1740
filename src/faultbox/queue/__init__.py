"""The durable queue between ingest and digest: an embedded SQLite inbox, or Redis
Streams in scale mode (``FAULTBOX_QUEUE_URL=redis://…``)."""

from __future__ import annotations

from faultbox.config import Settings
from faultbox.queue.base import Queue
from faultbox.queue.sqlite_inbox import SqliteInbox


def open_queue(settings: Settings) -> Queue:
    if settings.queue_url:
        # redis-py is imported only in scale mode (it costs the embedded CLI ~75 ms).
        from faultbox.queue.redis_streams import RedisStreams

        return RedisStreams(
            settings.queue_url,
            name=settings.queue_name,
            shards=settings.queue_shards,
            max_depth=settings.queue_max_depth,
            claim_idle_seconds=settings.queue_claim_idle_seconds,
        )
    return SqliteInbox(
        settings.queue_path, max_depth=settings.queue_max_depth, sync=settings.queue_sync
    )

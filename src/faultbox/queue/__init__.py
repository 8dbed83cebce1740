"""The durable queue between ingest and digest (embedded: a SQLite inbox)."""

from __future__ import annotations

from faultbox.config import Settings
from faultbox.queue.sqlite_inbox import SqliteInbox


def open_queue(settings: Settings) -> SqliteInbox:
    return SqliteInbox(
        settings.queue_path, max_depth=settings.queue_max_depth, sync=settings.queue_sync
    )

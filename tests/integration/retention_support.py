"""Events of known ages for the retention tests, written through store_batch (as the
digest does) with received_at in the past; on PostgreSQL the month partitions they
need, as the migration and the job would have made them."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, select, text

from faultbox.lifecycle.retention import DAY, RetentionDefaults
from faultbox.model import Event, Grouping, Level, event_to_dict
from faultbox.store import partitions
from faultbox.store.accounts import ensure_team
from faultbox.store.batch import ProcessedEvent, store_batch
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.payload import pack
from faultbox.store.projects import Project, create_project
from faultbox.store.schema import events

NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z
DEFAULTS = RetentionDefaults(info_days=90, error_days=365)


def make_project(engine: Engine, name: str) -> Project:
    with write_transaction(engine) as conn:
        return create_project(conn, name=name, team_id=ensure_team(conn, "core"))


def old_event(
    project: Project,
    days_old: float,
    level: Level,
    *,
    digest: str = "a" * 32,
    event_id: str | None = None,
    now: float = NOW,
) -> ProcessedEvent:
    at = now - days_old * DAY
    event = Event(
        event_id=event_id or uuid.uuid4().hex,
        project_id=project.id,
        timestamp=at,
        received_at=at,
        platform="python",
        level=level,
        message=f"boom {digest[:6]}",
        tags={"shard": "7"},
    )
    grouping = Grouping(digest, "v1", f"boom {digest[:6]}", "app.main", (digest,))
    return ProcessedEvent(event, grouping, pack(event_to_dict(event)))


def store(engine: Engine, batch: list[ProcessedEvent], *, with_months: bool = True) -> None:
    """Store ``batch``; on PostgreSQL first create the months its events fall in
    (``with_months`` False leaves them to the default partition)."""
    with write_transaction(engine) as conn:
        if with_months and partitions.is_partitioned(conn):
            for p in batch:
                partitions.create_partition(conn, partitions.month_of(p.event.received_at))
        store_batch(conn, batch)


def stored_ids(engine: Engine) -> set[str]:
    with read_connection(engine) as conn:
        return set(conn.execute(select(events.c.event_id)).scalars())


def partition_names(engine: Engine) -> set[str]:
    """The partitions of events, from PostgreSQL's catalog."""
    with read_connection(engine) as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                " WHERE i.inhparent = 'events'::regclass"
            )
        )
        return {str(r) for r in rows.scalars()}


def dedup_keys(engine: Engine) -> set[str]:
    with read_connection(engine) as conn:
        return set(conn.execute(text("SELECT event_id FROM event_ids")).scalars())


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"

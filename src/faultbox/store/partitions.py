"""PostgreSQL only: ``events`` is partitioned by month of ``received_at``.

Retention then drops a month whose every event is past its retention instead of
deleting its rows one by one (store/retention.py, lifecycle/retention.py). SQLite
keeps the plain table that schema.py describes.

Months, not weeks: most event queries filter on project, issue or timestamp, not on
``received_at``, so they visit every partition; a year of monthly partitions is 13
index probes per query where weeks would be 53. The price is that a month is dropped
only once its newest event is past the longest retention, so the longest-kept class
lives up to a month beyond it (shorter classes are deleted row by row, on time).

A partition's key must be in each of its unique constraints, so ``UNIQUE
(project_id, event_id)`` cannot stay on ``events``. The narrow, unpartitioned
``event_ids`` table holds it instead, kept in step by triggers on ``events`` (an
insert statement adds its keys, a deleted row removes its key: also in a deleted
issue's or project's cascade). A resent event therefore still fails the same unique
check inside the digest's transaction. A dropped partition fires no trigger:
retention deletes that month's keys itself (:func:`forget_event_ids`).

Partitions are made ahead of time (:func:`ensure_partitions`: the current and next
month) at every migrate and by each retention run; an event outside every month
(clock trouble, an outage across a month's end) lands in ``events_default``, and the
month's partition takes those rows over when it is created.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, text

PARENT = "events"
DEFAULT = "events_default"
DEDUP_TABLE = "event_ids"
_NAME = re.compile(r"^events_p\d{6}$")
_BOUNDS = re.compile(r"FROM \('?([-0-9.e+]+)'?\) TO \('?([-0-9.e+]+)'?\)")
# DDL on a partition locks ``events`` for a moment; outside a migration it should never
# queue behind a long reader (and so block the digest's inserts behind it): callers
# set this lock timeout (:func:`limit_lock_wait`), give up, and try at the next run.
LOCK_TIMEOUT = "5s"

# What pending_changes must not report on PostgreSQL (schema.py describes SQLite):
# the unique constraint event_ids replaces, and the plain index that serves the
# digest's duplicate check and event lookups in its place.
METADATA_ONLY = frozenset({"uq_events_project_id_event_id"})
DATABASE_ONLY = frozenset({"ix_events_project_id_event_id"})


@dataclass(frozen=True, slots=True)
class Partition:
    name: str
    start: float  # epoch seconds, inclusive
    end: float  # exclusive


def is_partition_table(name: str) -> bool:
    """The tables of this layout that schema.py does not describe."""
    return name in (DEFAULT, DEDUP_TABLE) or bool(_NAME.match(name))


def month_of(at: float) -> Partition:
    """The calendar month (UTC) holding ``at``."""
    day = datetime.fromtimestamp(at, UTC)
    start = datetime(day.year, day.month, 1, tzinfo=UTC)
    end = datetime(day.year + day.month // 12, day.month % 12 + 1, 1, tzinfo=UTC)
    return Partition(f"events_p{start:%Y%m}", start.timestamp(), end.timestamp())


def is_partitioned(conn: Connection) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    found = conn.execute(
        text(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid"
            " WHERE c.relname = :name AND pg_table_is_visible(c.oid)"
        ),
        {"name": PARENT},
    ).first()
    return found is not None


def partitions(conn: Connection) -> list[Partition]:
    """The monthly partitions, oldest first (read from the catalog, not the names)."""
    rows = conn.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound"
            " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = CAST(:parent AS regclass)"
        ),
        {"parent": PARENT},
    )
    found = []
    for name, bound in rows:
        match = _BOUNDS.search(bound or "")
        if match:  # the default partition has no bounds
            found.append(Partition(str(name), float(match.group(1)), float(match.group(2))))
    return sorted(found, key=lambda p: p.start)


def ensure_partitions(conn: Connection, now: float, months_ahead: int = 1) -> list[str]:
    """Create the month of ``now`` and the next ``months_ahead`` if missing; returns
    the names created (no lock is taken when they exist)."""
    wanted = [month_of(now)]
    for _ in range(months_ahead):
        wanted.append(month_of(wanted[-1].end))
    return [p.name for p in wanted if create_partition(conn, p)]


def create_partition(conn: Connection, month: Partition) -> bool:
    """Create ``month`` unless it exists, taking over the default partition's rows of
    that month (PostgreSQL refuses a new partition whose rows sit in the default)."""
    if exists(conn, month):
        return False
    bounds = f"FROM ({int(month.start)}) TO ({int(month.end)})"
    span = {"s": month.start, "e": month.end}
    stray = conn.execute(
        text(f"SELECT 1 FROM {DEFAULT} WHERE received_at >= :s AND received_at < :e LIMIT 1"),
        span,
    ).first()
    if stray is None:
        conn.exec_driver_sql(f"CREATE TABLE {month.name} PARTITION OF {PARENT} FOR VALUES {bounds}")
        return True
    conn.exec_driver_sql(f"CREATE TABLE {month.name} (LIKE {PARENT} INCLUDING DEFAULTS)")
    conn.execute(
        text(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE received_at >= :s AND received_at < :e"
            f" RETURNING *) INSERT INTO {month.name} SELECT * FROM moved"
        ),
        span,
    )
    conn.exec_driver_sql(f"ALTER TABLE {PARENT} ATTACH PARTITION {month.name} FOR VALUES {bounds}")
    # Deleting from the default removed the keys (its trigger); the rows are back.
    conn.exec_driver_sql(
        f"INSERT INTO {DEDUP_TABLE} (project_id, event_id, received_at)"
        f" SELECT project_id, event_id, received_at FROM {month.name} ON CONFLICT DO NOTHING"
    )
    return True


def counts_by_level(conn: Connection, partition: Partition) -> dict[tuple[int, str], int]:
    """``{(project_id, level): events}`` in one partition (read before dropping it)."""
    name = _quoted(conn, partition.name)
    rows = conn.execute(text(f"SELECT project_id, level, count(*) FROM {name} GROUP BY 1, 2"))
    return {(int(p), str(level)): int(n) for p, level, n in rows}


def forget_event_ids(conn: Connection, partition: Partition, limit: int) -> int:
    """Delete up to ``limit`` dedup keys of the partition's month; returns how many."""
    result = conn.execute(
        text(
            f"DELETE FROM {DEDUP_TABLE} WHERE ctid IN (SELECT ctid FROM {DEDUP_TABLE}"
            " WHERE received_at >= :s AND received_at < :e LIMIT :n)"
        ),
        {"s": partition.start, "e": partition.end, "n": limit},
    )
    return int(result.rowcount or 0)


def exists(conn: Connection, partition: Partition) -> bool:
    return conn.execute(text("SELECT to_regclass(:n)"), {"n": partition.name}).scalar() is not None


def drop_partition(conn: Connection, partition: Partition) -> None:
    conn.exec_driver_sql(f"DROP TABLE {_quoted(conn, partition.name)}")


def _quoted(conn: Connection, name: str) -> str:
    return str(conn.dialect.identifier_preparer.quote(name))


def limit_lock_wait(conn: Connection) -> None:
    """For the rest of this transaction, fail rather than wait long for a lock."""
    conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")

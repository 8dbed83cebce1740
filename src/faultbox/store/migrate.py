"""Run and check Alembic migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from faultbox import clock
from faultbox.store import partitions
from faultbox.store.db import is_sqlite, serialize, write_transaction
from faultbox.store.schema import metadata
from faultbox.store.search_index import is_search_table

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = _config()
    with engine.connect() as conn:
        sqlite = is_sqlite(engine)
        if sqlite:
            # SQLite adds a constraint by rebuilding the table (Alembic's batch mode):
            # with foreign keys enforced, dropping the old table would cascade-delete
            # every row that refers to it. The pragma only works outside a transaction.
            _pragma(conn, "foreign_keys=OFF")
        try:
            with conn.begin():
                # Many processes may start at once on one PostgreSQL (scale mode): the
                # first migrates, the others wait here and then find nothing to do.
                serialize(conn, "faultbox-migrate")
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
                    if broken is not None:
                        raise RuntimeError(f"migration left a dangling reference: {broken}")
        finally:
            if sqlite:
                _pragma(conn, "foreign_keys=ON")
    if not is_sqlite(engine):
        _ensure_partitions(engine)


def _ensure_partitions(engine: Engine) -> None:
    """This month's and the next month's events partitions (PostgreSQL), at every
    start; should a lock not come, the default partition holds the events until the
    retention job creates them."""
    try:
        with write_transaction(engine) as conn:
            if partitions.is_partitioned(conn):
                partitions.limit_lock_wait(conn)
                partitions.ensure_partitions(conn, clock.now())
    except DBAPIError as exc:
        log.warning("events partitions not created now (retried by retention): %s", exc)


def _pragma(conn: Connection, setting: str) -> None:
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA {setting}")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """What the schema comparison looks at: not the full-text index, which lives
    outside schema.py (an FTS5 virtual table has no SQLAlchemy description), nor
    PostgreSQL's events partitions and dedup table (store/partitions.py)."""
    return not (
        type_ == "table"
        and name is not None
        and (is_search_table(name) or partitions.is_partition_table(name))
    )


def _postgres_only(
    _obj: object, name: str | None, _type: str, reflected: bool, compare_to: object
) -> bool:
    """False for the constraint and index by which PostgreSQL's partitioned events
    differ from schema.py on purpose."""
    if reflected and compare_to is None:
        return name not in partitions.DATABASE_ONLY
    if not reflected and compare_to is None:
        return name not in partitions.METADATA_ONLY
    return True


def pending_changes(engine: Engine) -> list[object]:
    """Differences between the migrated database and schema.py (empty when in sync)."""
    with engine.connect() as conn:
        opts: dict[str, object] = {"compare_type": True, "include_name": include_name}
        if partitions.is_partitioned(conn):
            opts["include_object"] = _postgres_only
        ctx = MigrationContext.configure(conn, opts=opts)
        return list(compare_metadata(ctx, metadata))

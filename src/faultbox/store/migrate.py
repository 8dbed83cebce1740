"""Run and check Alembic migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from faultbox.store.db import is_sqlite
from faultbox.store.schema import metadata
from faultbox.store.search_index import is_search_table

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
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
                    if broken is not None:
                        raise RuntimeError(f"migration left a dangling reference: {broken}")
        finally:
            if sqlite:
                _pragma(conn, "foreign_keys=ON")


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
    outside schema.py (an FTS5 virtual table has no SQLAlchemy description)."""
    return not (type_ == "table" and name is not None and is_search_table(name))


def pending_changes(engine: Engine) -> list[object]:
    """Differences between the migrated database and schema.py (empty when in sync)."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": include_name}
        )
        return list(compare_metadata(ctx, metadata))

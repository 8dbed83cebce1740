"""Migration 0012 on a PostgreSQL database holding events: every row moves into the
month partition of its received_at, the dedup keys are filled, the schema check stays
clean, and the downgrade brings the plain table back with the same rows."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from faultbox.store import migrate, partitions
from faultbox.store.db import open_engine

pytestmark = pytest.mark.postgres

_ROWS = [  # event id, received_at
    ("e1", 1_600_000_000.0),  # 2020-09-13
    ("e2", 1_600_100_000.0),  # the same month
    ("e3", 1_700_000_000.0),  # 2023-11-14
]


@pytest.fixture
def old_database() -> Iterator[Engine]:
    """A private database at revision 0011 with a project, an issue and three events."""
    admin_url = os.environ.get("FAULTBOX_TEST_DATABASE_URL")
    if not admin_url:
        pytest.fail("FAULTBOX_TEST_DATABASE_URL is not set")
    admin = open_engine(admin_url)
    name = f"faultbox_test_mig_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = open_engine(url)
    migrate.upgrade(engine, "0011")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO teams (slug, name, created_at) VALUES ('t', 't', 0)"))
        conn.execute(
            text(
                "INSERT INTO projects (team_id, slug, name, issue_counter, created_at)"
                " VALUES (1, 'p', 'p', 1, 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO issues (project_id, short_id, title, level, status, first_seen,"
                " last_seen, times_seen, users_seen, grouping_version, resolve_in_next_release,"
                " is_regression) VALUES (1, 1, 'boom', 'error', 'detected', 0, 0, 3, 0, 'v1',"
                " false, false)"
            )
        )
        for event_id, at in _ROWS:
            conn.execute(
                text(
                    "INSERT INTO events (project_id, event_id, issue_id, timestamp, received_at,"
                    " level, title, grouping_hash, payload)"
                    " VALUES (1, :e, 1, :at, :at, 'error', 'boom', 'h', '\\x00')"
                ),
                {"e": event_id, "at": at},
            )
    yield engine
    engine.dispose()
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _where(engine: Engine) -> list[tuple[int, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, event_id, tableoid::regclass::text FROM events ORDER BY id")
        )
        return [(int(i), str(e), str(t)) for i, e, t in rows]


def test_the_migration_moves_every_event_into_its_month_and_back(old_database: Engine) -> None:
    engine = old_database
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == "0013"
    assert migrate.pending_changes(engine) == []
    assert _where(engine) == [
        (1, "e1", "events_p202009"),
        (2, "e2", "events_p202009"),
        (3, "e3", "events_p202311"),
    ]
    with engine.connect() as conn:
        assert partitions.is_partitioned(conn)
        keys = conn.execute(text("SELECT event_id FROM event_ids ORDER BY event_id")).scalars()
        assert list(keys) == ["e1", "e2", "e3"]
        names = {p.name for p in partitions.partitions(conn)}
    assert {"events_p202009", "events_p202311"} <= names and len(names) == 4  # + now, next
    insert = text(
        "INSERT INTO events (project_id, event_id, issue_id, timestamp, received_at, level,"
        " title, grouping_hash, payload) VALUES (1, :e, 1, 0, :at, 'error', 'x', 'h', '\\x00')"
    )
    with pytest.raises(IntegrityError, match="pk_event_ids"), engine.begin() as conn:
        conn.execute(insert, {"e": "e1", "at": 1_750_000_000.0})  # resent, another month
    with engine.begin() as conn:  # the id sequence carried over (the refused row took 4)
        conn.execute(insert, {"e": "e4", "at": 1_750_000_000.0})
    assert _where(engine)[-1] == (5, "e4", "events_default")

    config = migrate._config()
    with engine.connect() as conn, conn.begin():
        config.attributes["connection"] = conn
        command.downgrade(config, "0011")
    assert [(i, e) for i, e, _ in _where(engine)] == [(1, "e1"), (2, "e2"), (3, "e3"), (5, "e4")]
    assert {t for _, _, t in _where(engine)} == {"events"}
    with pytest.raises(IntegrityError, match="uq_events_project_id_event_id"):
        with engine.begin() as conn:
            conn.execute(insert, {"e": "e1", "at": 1_750_000_000.0})

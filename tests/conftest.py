"""Shared fixtures: settings in a temp dir, SQLite or PostgreSQL, a live server."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from faultbox.config import load_settings
from faultbox.query.dsn import dsn_for
from faultbox.store import migrate
from faultbox.store.db import open_engine
from faultbox.store.schema import metadata
from tests.support import LiveServer, free_port, seed, start_server

# Properties say what holds, not how fast: hypothesis's 200 ms deadline per example
# fails them at random when three test processes share two cores.
hypothesis_settings.register_profile("faultbox", deadline=None)
hypothesis_settings.load_profile("faultbox")

# -- databases ---------------------------------------------------------------------


def _postgres_admin_url() -> str:
    url = os.environ.get("FAULTBOX_TEST_DATABASE_URL")
    if not url:
        pytest.fail(
            "FAULTBOX_TEST_DATABASE_URL is not set: run the suite with scripts/test.sh, "
            "which finds or starts PostgreSQL"
        )
    return url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A private database on the test PostgreSQL server, dropped at the end."""
    admin = make_url(_postgres_admin_url()).set(drivername="postgresql+psycopg")
    name = f"faultbox_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin_engine = open_engine(admin.render_as_string(hide_password=False))
    with admin_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.set(database=name).render_as_string(hide_password=False)
    engine = open_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin_engine.dispose()


def redis_test_url() -> str:
    # scripts/test.sh exports it (finding or starting Redis); by hand, the usual local
    # one.  Either way a test that needs Redis fails when it is not there.
    return os.environ.get("FAULTBOX_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_queue() -> Iterator[dict[str, str]]:
    """Settings for a Redis Streams queue of its own (a unique key prefix), emptied after."""
    import redis

    url = redis_test_url()
    name = f"faultbox-test-{uuid.uuid4().hex[:10]}"
    yield {"queue_url": url, "queue_name": name}
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"{name}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def _truncate(engine: Engine) -> None:
    names = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each storage test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'faultbox.sqlite3'}"
        return
    url = request.getfixturevalue("postgres_url")
    engine = open_engine(url)
    _truncate(engine)
    engine.dispose()
    yield url


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite database migrated to head, copied for each test that wants a fresh
    one: running every migration again costs each test ~0.1 s."""
    path = tmp_path_factory.mktemp("template") / "faultbox.sqlite3"
    template = open_engine(f"sqlite:///{path}")
    migrate.upgrade(template)
    template.dispose()
    return path


def _migrated(database_url: str, template: Path) -> Engine:
    """An engine on ``database_url`` at the head revision; a new SQLite file starts as a
    copy of the template (SQLite's backup API, so a WAL's pages come along)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        with sqlite3.connect(template) as source, sqlite3.connect(url.database) as copy:
            source.backup(copy)
    eng = open_engine(database_url)
    migrate.upgrade(eng)
    return eng


@pytest.fixture
def engine(database_url: str, migrated_sqlite: Path) -> Iterator[Engine]:
    eng = _migrated(database_url, migrated_sqlite)
    yield eng
    eng.dispose()


@pytest.fixture
def live_server(
    tmp_path: Path, database_url: str, migrated_sqlite: Path, request: pytest.FixtureRequest
) -> Iterator[LiveServer]:
    """The API suite's server: SQLite + the embedded queue, and PostgreSQL + Redis Streams
    (the scale mode)."""
    scale: dict[str, str] = {}
    if not database_url.startswith("sqlite"):
        scale = request.getfixturevalue("redis_queue")
    yield from _live(tmp_path, database_url, migrated_sqlite, scale)


@pytest.fixture
def sqlite_server(tmp_path: Path, migrated_sqlite: Path) -> Iterator[LiveServer]:
    yield from _live(tmp_path, f"sqlite:///{tmp_path / 'faultbox.sqlite3'}", migrated_sqlite)


def _live(
    tmp_path: Path, database_url: str, template: Path, scale: dict[str, str] | None = None
) -> Iterator[LiveServer]:
    port = free_port()
    settings = load_settings(
        {
            "data_dir": str(tmp_path / "data"),
            "database_url": database_url,
            "port": port,
            **(scale or {}),
        },
        environ={},
    )
    engine = _migrated(database_url, template)
    project, token = seed(engine, settings.public_url)
    server, thread, app = start_server(settings)
    dsn = dsn_for(settings.public_url, project)
    assert dsn
    yield LiveServer(settings.public_url, settings, engine, project, dsn, token, app)
    server.should_exit = True
    thread.join(timeout=20)
    engine.dispose()

"""Scale mode: several `faultbox serve --no-worker` started at once on a fresh
PostgreSQL database migrate it once and bootstrap one admin and one project."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from faultbox.store.schema import projects, teams, users
from tests.e2e.procs import GRACEFUL, ServeProcess
from tests.e2e.scale_support import fresh_database, queue_name
from tests.support import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def test_servers_started_together_migrate_and_bootstrap_once(tmp_path: Path) -> None:
    from tests.conftest import redis_test_url

    with fresh_database() as database, queue_name() as name:
        env = {
            "FAULTBOX_DATABASE_URL": database,
            "FAULTBOX_QUEUE_URL": redis_test_url(),
            "FAULTBOX_QUEUE_NAME": name,
        }
        started: list[ServeProcess] = []
        errors: list[BaseException] = []

        def start() -> None:
            try:
                started.append(ServeProcess(tmp_path / "data", free_port(), "--no-worker", env=env))
            except BaseException as exc:  # reported below, with the others' outcome
                errors.append(exc)

        threads = [threading.Thread(target=start) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        try:
            assert errors == [] and len(started) == 3
            engine = create_engine(database)
            with engine.connect() as conn:
                for table in (teams, users, projects):
                    count = conn.execute(select(func.count()).select_from(table)).scalar_one()
                    assert count == 1, table.name
            engine.dispose()
        finally:
            for server in started:
                assert server.stop() in GRACEFUL

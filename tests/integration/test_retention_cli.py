"""faultbox retention run, as a process, on SQLite and PostgreSQL: the dry run prints
what a run deletes and changes nothing; one project; bad input is one line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine

from faultbox.model import Level
from faultbox.store import migrate
from faultbox.store.db import open_engine
from tests.integration.retention_support import make_project, old_event, store, stored_ids


def cli(
    tmp_path: Path, database_url: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "faultbox",
            "retention",
            "run",
            *args,
            "--data-dir",
            str(tmp_path / "data"),
            "--database-url",
            database_url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def cli_json(tmp_path: Path, database_url: str, *args: str) -> Any:
    proc = cli(tmp_path, database_url, *args, "--json")
    assert proc.returncode == 0, proc.stderr
    return orjson.loads(proc.stdout)


def test_a_dry_run_prints_and_changes_nothing_then_a_run_deletes(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    shop, blog = make_project(engine, "shop"), make_project(engine, "blog")
    now = time.time()
    store(
        engine,
        [
            old_event(shop, 100, Level.INFO, now=now),
            old_event(shop, 10, Level.INFO, now=now),
            old_event(blog, 120, Level.DEBUG, now=now),
        ],
    )
    ids = stored_ids(engine)

    text = cli(tmp_path, database_url, "--dry-run")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert any(
        line.startswith("shop") and "debug/info" in line and "would delete 1 events" in line
        for line in lines
    ), text.stdout
    assert "total: would delete 2 events" in lines
    dry = cli_json(tmp_path, database_url, "--dry-run")
    assert dry["dry_run"] is True and dry["events"] == 2
    assert stored_ids(engine) == ids

    only_shop = cli_json(tmp_path, database_url, "--project", "shop")
    assert [p["project"] for p in only_shop["projects"]] == ["shop"]
    assert only_shop["projects"][0]["info"]["events"] == 1
    assert only_shop["partitions"]["dropped"] == []
    assert len(stored_ids(engine)) == 2

    rest = cli_json(tmp_path, database_url)
    assert rest["events"] == 1 and rest["finished"] is True
    assert len(stored_ids(engine)) == 1


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    """On SQLite only: the checks come before any storage-specific work."""
    database_url = f"sqlite:///{tmp_path / 'faultbox.sqlite3'}"
    engine = open_engine(database_url)
    migrate.upgrade(engine)
    make_project(engine, "shop")
    engine.dispose()
    cases = [
        (("--project", "nope"), {}, "Error: --project: no project 'nope'"),
        (("--project", " "), {}, "Error: --project: give a project slug"),
        ((), {"FAULTBOX_RETENTION_INFO_DAYS": "0"}, "must be between 1 and 36500, got 0"),
        ((), {"FAULTBOX_RETENTION_ERROR_DAYS": "a year"}, "expected an integer"),
    ]
    for args, env, message in cases:
        proc = cli(tmp_path, database_url, *args, env=env)
        assert proc.returncode != 0, args
        assert message in proc.stderr, (args, proc.stderr)
        assert "Traceback" not in proc.stderr and proc.stdout == ""
    unreachable = cli(tmp_path, "postgresql://nobody@127.0.0.1:1/none")
    assert unreachable.returncode == 1 and "Traceback" not in unreachable.stderr
    assert unreachable.stderr.startswith("Error: cannot open the database"), unreachable.stderr

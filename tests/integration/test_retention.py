"""Retention on SQLite and PostgreSQL, on a pinned timeline (events written with old
received_at through store_batch): each level class goes after its own days, a
project's own days win, issue aggregates stay, user feedback goes with its event, a
dry run changes nothing; on PostgreSQL a month past the longest retention is dropped
whole (checked in the catalog) while shorter classes are deleted row by row, the
dedup key survives partitioning, and the job lease lets one of two runs work."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError

from faultbox import clock
from faultbox.config import load_settings
from faultbox.digest.worker import DigestWorker
from faultbox.lifecycle import retention
from faultbox.lifecycle.retention import DAY, run_retention, run_retention_if_due
from faultbox.model import Level
from faultbox.queue.sqlite_inbox import SqliteInbox
from faultbox.store import partitions
from faultbox.store.batch import store_batch
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.errors import NotFound
from faultbox.store.retention import set_project_retention
from faultbox.store.schema import (
    events,
    issue_hourly,
    issue_tags,
    issue_users,
    issues,
    job_leases,
    user_reports,
)
from tests.integration.retention_support import (
    DEFAULTS,
    NOW,
    dedup_keys,
    is_postgres,
    make_project,
    old_event,
    partition_names,
    store,
    stored_ids,
)


@pytest.fixture(autouse=True)
def no_months(engine: Engine) -> Iterator[None]:
    """PostgreSQL's test database is shared by the session: start without the month
    partitions earlier tests made (their rows are gone already)."""
    if is_postgres(engine):
        with write_transaction(engine) as conn:
            for month in partitions.partitions(conn):
                conn.exec_driver_sql(f"DROP TABLE {month.name}")
    yield


def eid(name: str) -> str:
    """A readable 32-character event id."""
    return name.ljust(32, "_")


def aggregates(engine: Engine) -> dict[str, Any]:
    with read_connection(engine) as conn:
        return {
            "issues": [
                dict(r._mapping) for r in conn.execute(select(issues).order_by(issues.c.id))
            ],
            "hourly": sorted(tuple(r) for r in conn.execute(select(issue_hourly))),
            "tags": sorted(tuple(r) for r in conn.execute(select(issue_tags))),
            "users": sorted(tuple(r) for r in conn.execute(select(issue_users))),
        }


def figures(report: retention.RetentionReport, slug: str) -> dict[str, int]:
    (project,) = [p for p in report.projects if p.slug == slug]
    return {name: c.events for name, c in project.classes.items()}


def test_each_level_class_goes_after_its_own_days_and_issues_keep_their_history(
    engine: Engine,
) -> None:
    project = make_project(engine, "shop")
    ages = {
        "info-89": (89, Level.INFO),
        "info-91": (91, Level.INFO),
        "debug-100": (100, Level.DEBUG),
        "warning-200": (200, Level.WARNING),
        "error-364": (364, Level.ERROR),
        "fatal-400": (400, Level.FATAL),  # in December 2025: that month ends past 365 days
    }
    ids = {name: eid(name) for name in ages}
    store(engine, [old_event(project, d, level, event_id=ids[n]) for n, (d, level) in ages.items()])
    before = aggregates(engine)

    report = run_retention(engine, DEFAULTS, NOW)

    assert stored_ids(engine) == {ids["info-89"], ids["warning-200"], ids["error-364"]}
    assert figures(report, "shop") == {"info": 2, "error": 1} and report.events == 3
    assert report.finished and not report.dry_run
    assert aggregates(engine) == before  # times_seen 6, first seen 400 days ago, ...
    assert before["issues"][0]["times_seen"] == 6
    if is_postgres(engine):
        # The month of the fatal event went whole; October's info rows one by one.
        assert [d.name for d in report.dropped] == ["events_p202512"]
        assert report.dropped[0].events == 1
        names = partition_names(engine)
        assert "events_p202512" not in names
        assert {"events_p202610", "events_p202601", "events_default"} <= names
        assert dedup_keys(engine) == stored_ids(engine)
    else:
        assert report.dropped == []

    again = run_retention(engine, DEFAULTS, NOW)
    assert again.events == 0 and again.dropped == []


def test_a_project_keeps_events_for_its_own_days(engine: Engine) -> None:
    short, usual = make_project(engine, "short"), make_project(engine, "usual")
    with write_transaction(engine) as conn:
        set_project_retention(conn, short.id, info_days=7, error_days=30)
    store(
        engine,
        [
            old_event(short, 10, Level.INFO, event_id=eid("s-info-10")),
            old_event(short, 20, Level.ERROR, event_id=eid("s-error-20")),
            old_event(short, 40, Level.ERROR, event_id=eid("s-error-40")),
            old_event(usual, 10, Level.INFO, event_id=eid("u-info-10")),
            old_event(usual, 40, Level.ERROR, event_id=eid("u-error-40")),
        ],
    )
    report = run_retention(engine, DEFAULTS, NOW)
    assert stored_ids(engine) == {eid("s-error-20"), eid("u-info-10"), eid("u-error-40")}
    assert figures(report, "short") == {"info": 1, "error": 1}
    assert figures(report, "usual") == {"info": 0, "error": 0}
    (own,) = [p for p in report.projects if p.slug == "short"]
    assert own.classes["info"].days == 7 and own.classes["info"].own
    assert own.classes["error"].before == NOW - 30 * DAY
    assert report.to_json()["projects"][1]["info"] == {
        "levels": ["debug", "info"],
        "days": 90,
        "default": True,
        "before": "2026-10-17T08:00:00Z",
        "events": 0,
    }


def test_the_longest_kept_class_goes_with_its_month_on_postgres(engine: Engine) -> None:
    """SQLite deletes at the cutoff; PostgreSQL keeps the longest class until its
    whole month is past it, except rows in the default partition, deleted one by one."""
    project = make_project(engine, "shop")
    in_month = old_event(project, 366, Level.ERROR, event_id="a" * 32)  # January 2026
    stray = old_event(project, 380, Level.ERROR, event_id="b" * 32)  # December 2025
    store(engine, [in_month])
    store(engine, [stray], with_months=False)
    if is_postgres(engine):
        with read_connection(engine) as conn:
            where = conn.execute(text("SELECT event_id, tableoid::regclass FROM events")).all()
        assert sorted((e, str(t)) for e, t in where) == [
            ("a" * 32, "events_p202601"),
            ("b" * 32, "events_default"),
        ]
    report = run_retention(engine, DEFAULTS, NOW)
    if is_postgres(engine):
        assert stored_ids(engine) == {"a" * 32}  # for up to a month more
        assert report.dropped == [] and figures(report, "shop")["error"] == 1
        later = run_retention(engine, DEFAULTS, NOW + 17 * DAY)  # February 1st is past
        assert [d.name for d in later.dropped] == ["events_p202601"]
        assert stored_ids(engine) == set() and dedup_keys(engine) == set()
    else:
        assert stored_ids(engine) == set() and figures(report, "shop")["error"] == 2


def test_a_resent_event_is_still_a_duplicate(engine: Engine) -> None:
    project = make_project(engine, "shop")
    first = old_event(project, 1, Level.ERROR, event_id="c" * 32)
    store(engine, [first])
    with write_transaction(engine) as conn:
        result = store_batch(conn, [old_event(project, 0, Level.ERROR, event_id="c" * 32)])
    assert result.duplicates == 1 and result.stored == 0
    # Two workers racing past the duplicate check: the database still refuses one.
    row = {
        "project_id": project.id,
        "event_id": "c" * 32,
        "issue_id": 1,
        "timestamp": NOW,
        "received_at": NOW,
        "level": "error",
        "title": "boom",
        "grouping_hash": "a" * 32,
        "payload": b"\x00",
    }
    with read_connection(engine) as conn:
        row["issue_id"] = conn.execute(select(issues.c.id)).scalar_one()
    with pytest.raises(IntegrityError), write_transaction(engine) as conn:
        conn.execute(events.insert().values(**row))
    if is_postgres(engine):
        assert dedup_keys(engine) == {"c" * 32}
        with write_transaction(engine) as conn:  # the issue's events go with it...
            conn.execute(issues.delete())
        assert dedup_keys(engine) == set()  # ...and so do their keys
        store(engine, [old_event(project, 0, Level.ERROR, event_id="c" * 32)])
        assert stored_ids(engine) == dedup_keys(engine) == {"c" * 32}


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # partitions: PG only
def test_a_month_created_late_takes_over_its_rows_from_the_default_partition(
    engine: Engine,
) -> None:
    project = make_project(engine, "shop")
    early = old_event(project, -1100, Level.ERROR, event_id="d" * 32)  # January 2030
    store(engine, [early], with_months=False)
    with write_transaction(engine) as conn:
        created = partitions.ensure_partitions(conn, early.event.received_at)
    assert created == ["events_p203001", "events_p203002"]
    with read_connection(engine) as conn:
        where = conn.execute(text("SELECT tableoid::regclass FROM events")).scalar_one()
    assert str(where) == "events_p203001"
    assert dedup_keys(engine) == {"d" * 32}
    with write_transaction(engine) as conn:
        again = store_batch(conn, [old_event(project, -1100, Level.ERROR, event_id="d" * 32)])
    assert again.duplicates == 1


def test_user_feedback_goes_with_its_event_or_past_the_longest_retention(
    engine: Engine,
) -> None:
    project = make_project(engine, "shop")
    gone = old_event(project, 120, Level.INFO, event_id="e" * 32)
    kept = old_event(project, 120, Level.ERROR, event_id="f" * 32)
    store(engine, [gone, kept])
    reports = [
        ("e" * 32, NOW - 120 * DAY),
        ("f" * 32, NOW - 120 * DAY),
        ("0" * 32, NOW - 400 * DAY),  # its event never came
    ]
    with write_transaction(engine) as conn:
        conn.execute(
            user_reports.insert(),
            [
                {"project_id": project.id, "event_id": e, "comments": "it broke", "created_at": t}
                for e, t in reports
            ],
        )
    report = run_retention(engine, DEFAULTS, NOW)
    with read_connection(engine) as conn:
        left = set(conn.execute(select(user_reports.c.event_id)).scalars())
    assert left == {"f" * 32}
    assert report.projects[0].user_reports == 1  # the orphan; "e"'s went with its event


def test_a_dry_run_counts_what_a_run_deletes_and_changes_nothing(engine: Engine) -> None:
    project = make_project(engine, "shop")
    store(
        engine,
        [
            old_event(project, 100, Level.INFO),
            old_event(project, 120, Level.DEBUG),
            old_event(project, 200, Level.ERROR),
            old_event(project, 400, Level.INFO),
            old_event(project, 410, Level.ERROR),
        ],
    )
    ids = stored_ids(engine)
    months = partition_names(engine) if is_postgres(engine) else set()

    dry = run_retention(engine, DEFAULTS, NOW, dry_run=True)
    assert stored_ids(engine) == ids
    assert (partition_names(engine) if is_postgres(engine) else set()) == months
    assert figures(dry, "shop") == {"info": 3, "error": 1} and dry.dry_run

    real = run_retention(engine, DEFAULTS, NOW)
    assert figures(real, "shop") == figures(dry, "shop")
    assert [d.name for d in real.dropped] == [d.name for d in dry.dropped]
    assert len(stored_ids(engine)) == 1


def test_one_project_only_and_an_unknown_one(engine: Engine) -> None:
    a, b = make_project(engine, "a"), make_project(engine, "b")
    store(engine, [old_event(a, 400, Level.ERROR), old_event(b, 400, Level.ERROR)])
    report = run_retention(engine, DEFAULTS, NOW, project_slug="a")
    assert [p.slug for p in report.projects] == ["a"] and report.dropped == []
    with read_connection(engine) as conn:
        left = conn.execute(select(events.c.project_id, func.count()).group_by(events.c.project_id))
        assert dict(left.all()) == {b.id: 1}
    with pytest.raises(NotFound, match="no project 'nope'"):
        run_retention(engine, DEFAULTS, NOW, project_slug="nope")


def test_of_two_concurrent_scheduled_runs_one_works_then_none_for_an_hour(
    engine: Engine,
) -> None:
    project = make_project(engine, "shop")
    store(engine, [old_event(project, 100, Level.INFO) for _ in range(3)])
    start = threading.Barrier(2)
    results: list[retention.RetentionReport | None] = []

    def run() -> None:
        start.wait()
        results.append(run_retention_if_due(engine, DEFAULTS, NOW))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    done = [r for r in results if r is not None]
    assert len(results) == 2 and len(done) == 1
    assert done[0].events == 3 and stored_ids(engine) == set()
    assert run_retention_if_due(engine, DEFAULTS, NOW + 3599) is None
    assert run_retention_if_due(engine, DEFAULTS, NOW + 3601) is not None


def test_an_unfinished_scheduled_run_goes_on_a_minute_later(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "EVENT_BATCH", 2)
    monkeypatch.setattr(retention, "WORKER_BUDGET_SECONDS", 0.0)
    project = make_project(engine, "shop")
    store(engine, [old_event(project, 100, Level.INFO) for _ in range(5)])

    first = run_retention_if_due(engine, DEFAULTS, NOW)
    assert first is not None and not first.finished and first.events == 2
    with read_connection(engine) as conn:
        until = conn.execute(select(job_leases.c.until)).scalar_one()
    assert until == NOW + retention.RESUME_SECONDS
    assert run_retention_if_due(engine, DEFAULTS, NOW + 30) is None
    second = run_retention_if_due(engine, DEFAULTS, NOW + 61)
    assert second is not None and second.events == 2
    assert len(stored_ids(engine)) == 1


def test_the_digest_workers_sweep_runs_it_with_the_servers_days(
    engine: Engine, tmp_path: Path
) -> None:
    settings = load_settings({"data_dir": str(tmp_path), "retention_info_days": 30}, environ={})
    inbox = SqliteInbox(tmp_path / "queue.sqlite3", max_depth=100)
    worker = DigestWorker.from_settings(engine, inbox, settings)
    assert worker.retention == retention.RetentionDefaults(info_days=30, error_days=365)
    project = make_project(engine, "shop")
    store(engine, [old_event(project, 40, Level.INFO), old_event(project, 20, Level.INFO)])
    clock.pin(NOW)
    try:
        worker.sweep()
        assert len(stored_ids(engine)) == 1
        store(engine, [old_event(project, 40, Level.INFO)])
        worker.sweep()  # within the hour: another worker's sweep would not run it either
        assert len(stored_ids(engine)) == 2
    finally:
        clock.pin(None)
        inbox.close()

"""The storage layer on SQLite and PostgreSQL: migrations and ``store_batch``.

Covered: Alembic and schema.py agree and upgrading is idempotent; ``store_batch``
creates issues with per-project short ids, is idempotent on (project, event_id)
across and inside batches, counts distinct users, keeps first/last seen and
releases right when events arrive out of order, buckets hourly counts, counts
facets and tags per issue, and stores a payload that unpacks to the normalized
event.  Every test runs against both databases through the ``engine`` fixture.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, inspect, select, text

from faultbox.model import Event, ExceptionValue, Frame, Grouping, Level, event_to_dict
from faultbox.store import migrate
from faultbox.store.accounts import ensure_team
from faultbox.store.batch import BatchResult, ProcessedEvent, store_batch
from faultbox.store.db import open_engine, read_connection, write_transaction
from faultbox.store.payload import pack, unpack
from faultbox.store.projects import Project, create_project
from faultbox.store.schema import (
    events,
    issue_hourly,
    issue_tags,
    issue_users,
    issues,
    projects,
)

HOUR = 472_222  # an arbitrary hour (epoch seconds // 3600)
T0 = HOUR * 3600.0


def make_project(engine: Engine, name: str) -> Project:
    with write_transaction(engine) as conn:
        return create_project(conn, name=name, team_id=ensure_team(conn, "core"))


def make(
    project: Project,
    digest: str = "a" * 32,
    *,
    event_id: str | None = None,
    ts: float = T0,
    level: Level = Level.ERROR,
    release: str | None = None,
    environment: str | None = None,
    service: str | None = None,
    user: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
    title: str | None = None,
) -> ProcessedEvent:
    tags = dict(tags or {})
    if service:
        tags["service"] = service  # as normalize does: the service is also a tag
    event = Event(
        event_id=event_id or uuid.uuid4().hex,
        project_id=project.id,
        timestamp=ts,
        received_at=ts + 1,
        platform="python",
        level=level,
        message=title or f"boom {digest[:6]}",
        release=release,
        environment=environment,
        service=service,
        user=user,
        tags=tags,
    )
    grouping = Grouping(digest, "v1", title or f"boom {digest[:6]}", "app.main", (digest,))
    return ProcessedEvent(event, grouping, pack(event_to_dict(event)))


def store(engine: Engine, batch: list[ProcessedEvent]) -> BatchResult:
    with write_transaction(engine) as conn:
        return store_batch(conn, batch)


def issue_rows(engine: Engine, project: Project) -> list[dict[str, Any]]:
    with read_connection(engine) as conn:
        rows = conn.execute(
            select(issues).where(issues.c.project_id == project.id).order_by(issues.c.short_id)
        )
        return [dict(r._mapping) for r in rows]


def only_issue(engine: Engine, project: Project) -> dict[str, Any]:
    rows = issue_rows(engine, project)
    assert len(rows) == 1, rows
    return rows[0]


def hourly(engine: Engine, issue_id: int) -> dict[int, int]:
    with read_connection(engine) as conn:
        rows = conn.execute(
            select(issue_hourly.c.hour, issue_hourly.c.count).where(
                issue_hourly.c.issue_id == issue_id
            )
        )
        return {int(h): int(n) for h, n in rows}


def tag_counts(engine: Engine, issue_id: int) -> dict[tuple[str, str], int]:
    with read_connection(engine) as conn:
        rows = conn.execute(
            select(issue_tags.c.key, issue_tags.c.value, issue_tags.c.times_seen).where(
                issue_tags.c.issue_id == issue_id
            )
        )
        return {(k, v): int(n) for k, v, n in rows}


def tag_seen(engine: Engine, issue_id: int, key: str, value: str) -> tuple[float, float]:
    with read_connection(engine) as conn:
        row = conn.execute(
            select(issue_tags.c.first_seen, issue_tags.c.last_seen).where(
                issue_tags.c.issue_id == issue_id,
                issue_tags.c.key == key,
                issue_tags.c.value == value,
            )
        ).one()
    return float(row.first_seen), float(row.last_seen)


def snapshot(engine: Engine) -> dict[str, Any]:
    """Every counter store_batch moves, for before/after comparisons."""
    with read_connection(engine) as conn:
        return {
            "issues": [
                dict(r._mapping) for r in conn.execute(select(issues).order_by(issues.c.id))
            ],
            "events": conn.execute(select(func.count()).select_from(events)).scalar_one(),
            "users": sorted(tuple(r) for r in conn.execute(select(issue_users))),
            "hourly": sorted(tuple(r) for r in conn.execute(select(issue_hourly))),
            "tags": sorted(tuple(r) for r in conn.execute(select(issue_tags))),
        }


# -- migrations --------------------------------------------------------------------


def test_migrations_match_schema_and_upgrade_is_idempotent(engine: Engine) -> None:
    assert migrate.head_revision() is not None
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert migrate.pending_changes(engine) == []
    tables = set(inspect(engine).get_table_names())
    assert {"issues", "events", "issue_tags", "issue_hourly", "alembic_version"} <= tables

    migrate.upgrade(engine)  # the fixture already upgraded once: this one must be a no-op
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert set(inspect(engine).get_table_names()) == tables
    assert migrate.pending_changes(engine) == []


def test_projects_that_existed_before_grouping_versions_keep_v1(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    migrate.upgrade(engine, "0003")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO teams (slug, name, created_at) VALUES ('t', 't', 0)"))
        conn.execute(
            text(
                "INSERT INTO projects (team_id, slug, name, issue_counter, created_at)"
                " VALUES (1, 'old', 'old', 0, 0)"
            )
        )
    migrate.upgrade(engine)
    with engine.connect() as conn:
        row = conn.execute(select(projects.c.grouping_version)).one()
    assert row.grouping_version == "v1"  # its issues were hashed with v1
    with write_transaction(engine) as conn:
        fresh = create_project(conn, name="fresh", team_id=1)
        version = conn.execute(
            select(projects.c.grouping_version).where(projects.c.id == fresh.id)
        ).scalar_one()
    assert version is None  # the digest picks the latest for a project with no issues
    engine.dispose()


def test_upgrading_keeps_every_issue_and_event(tmp_path: Path) -> None:
    """SQLite rebuilds a table to add a constraint; with foreign keys on, dropping the
    old table would cascade into events. Data written at 0004 must survive."""
    engine = open_engine(f"sqlite:///{tmp_path / 'data.sqlite3'}")
    migrate.upgrade(engine, "0004")
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
                " last_seen, times_seen, users_seen, grouping_version)"
                " VALUES (1, 1, 'boom', 'error', 'unresolved', 0, 0, 1, 0, 'v1')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO events (project_id, event_id, issue_id, timestamp, received_at,"
                " level, title, grouping_hash, payload) VALUES"
                " (1, 'e1', 1, 0, 0, 'error', 'boom', 'h', x'00')"
            )
        )
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar_one() == 1
        assert conn.execute(select(issues.c.status)).scalar_one() == "detected"
    assert migrate.pending_changes(engine) == []
    engine.dispose()


# -- store_batch -------------------------------------------------------------------


def test_new_hashes_get_short_ids_counting_from_one_per_project(engine: Engine) -> None:
    first, second = make_project(engine, "first"), make_project(engine, "second")
    result = store(engine, [make(first, "a" * 32), make(first, "b" * 32), make(first, "a" * 32)])
    assert result.stored == 3 and result.duplicates == 0
    assert len(result.new_issue_ids) == 2
    rows = issue_rows(engine, first)
    assert [r["short_id"] for r in rows] == [1, 2]
    assert sorted(r["id"] for r in rows) == sorted(result.new_issue_ids)
    assert [r["times_seen"] for r in rows] == [2, 1]

    later = store(engine, [make(first, "c" * 32), make(first, "b" * 32)])
    assert len(later.new_issue_ids) == 1  # the known hash joins its issue
    assert [r["short_id"] for r in issue_rows(engine, first)] == [1, 2, 3]

    other = store(engine, [make(second, "a" * 32), make(second, "d" * 32)])
    assert len(other.new_issue_ids) == 2  # same hash, other project: a new issue
    assert [r["short_id"] for r in issue_rows(engine, second)] == [1, 2]


def test_storing_the_same_batch_twice_changes_nothing(engine: Engine) -> None:
    project = make_project(engine, "replay")
    batch = [
        make(project, "a" * 32, ts=T0, user={"id": "1"}, release="1.0", environment="prod"),
        make(project, "a" * 32, ts=T0 + 4000, user={"id": "2"}, tags={"browser": "firefox"}),
        make(project, "b" * 32, ts=T0 + 10, service="api", level=Level.WARNING),
    ]
    first = store(engine, batch)
    assert (first.stored, first.duplicates, len(first.new_issue_ids)) == (3, 0, 2)
    before = snapshot(engine)
    assert before["events"] == 3

    again = store(engine, batch)
    assert (again.stored, again.duplicates, again.new_issue_ids) == (0, 3, [])
    assert snapshot(engine) == before

    # A replay mixed with one fresh event: only the fresh one counts.
    mixed = store(engine, [*batch, make(project, "a" * 32, ts=T0 + 20, user={"id": "3"})])
    assert (mixed.stored, mixed.duplicates) == (1, 3)
    issue_a = issue_rows(engine, project)[0]
    assert (issue_a["times_seen"], issue_a["users_seen"]) == (3, 3)


def test_duplicates_inside_one_batch_count_once(engine: Engine) -> None:
    project = make_project(engine, "dupes")
    event_id = uuid.uuid4().hex
    same = make(project, event_id=event_id, user={"id": "7"}, environment="prod")
    result = store(engine, [same, same, make(project), same])
    assert (result.stored, result.duplicates) == (2, 2)
    issue = only_issue(engine, project)
    assert (issue["times_seen"], issue["users_seen"]) == (2, 1)
    assert tag_counts(engine, issue["id"])[("environment", "prod")] == 1
    assert hourly(engine, issue["id"]) == {HOUR: 2}
    assert snapshot(engine)["events"] == 2


def test_users_seen_counts_distinct_users_across_batches(engine: Engine) -> None:
    project = make_project(engine, "users")
    store(
        engine,
        [
            make(project, user={"id": "1"}),
            make(project, user={"id": "1", "email": "one@example.com"}),  # still id:1
            make(project, user={"email": "two@example.com"}),
            make(project),  # no user at all
        ],
    )
    assert only_issue(engine, project)["users_seen"] == 2
    store(
        engine,
        [
            make(project, user={"email": "two@example.com"}),
            make(project, user={"ip_address": "10.0.0.3"}),
            make(project, user={"id": ""}),  # empty identity: not a user
        ],
    )
    issue = only_issue(engine, project)
    assert (issue["times_seen"], issue["users_seen"]) == (7, 3)
    # Users are counted per issue: the same user on another issue counts again there.
    store(engine, [make(project, "b" * 32, user={"id": "1"})])
    assert [r["users_seen"] for r in issue_rows(engine, project)] == [3, 1]


def test_seen_times_and_releases_with_events_out_of_order(engine: Engine) -> None:
    project = make_project(engine, "order")
    store(engine, [make(project, ts=T0, release="1.0")])
    store(engine, [make(project, ts=T0 + 100, release="2.0"), make(project, ts=T0 + 50)])
    issue = only_issue(engine, project)
    assert (issue["first_seen"], issue["last_seen"]) == (T0, T0 + 100)
    assert (issue["first_release"], issue["last_release"]) == ("1.0", "2.0")

    # An older event arriving late moves first_seen back but not last_seen;
    # first_release stays the first one stored.
    store(engine, [make(project, ts=T0 - 500)])
    issue = only_issue(engine, project)
    assert (issue["first_seen"], issue["last_seen"]) == (T0 - 500, T0 + 100)
    assert (issue["first_release"], issue["last_release"]) == ("1.0", "2.0")

    # Inside one batch the newest event's release wins, whatever the batch order.
    store(
        engine,
        [make(project, ts=T0 + 300, release="3.0"), make(project, ts=T0 + 200, release="2.5")],
    )
    issue = only_issue(engine, project)
    assert (issue["first_release"], issue["last_release"]) == ("1.0", "3.0")
    assert (issue["last_seen"], issue["times_seen"]) == (T0 + 300, 6)


def test_late_older_event_does_not_take_over_last_release(engine: Engine) -> None:
    project = make_project(engine, "late")
    store(engine, [make(project, ts=T0, release="1.0")])
    store(engine, [make(project, ts=T0 + 100, release="2.0")])
    store(engine, [make(project, ts=T0 - 500, release="0.9")])  # old, delivered late
    issue = only_issue(engine, project)
    assert (issue["first_seen"], issue["last_seen"]) == (T0 - 500, T0 + 100)
    assert (issue["first_release"], issue["last_release"]) == ("1.0", "2.0")


def test_issue_hourly_buckets_by_hour(engine: Engine) -> None:
    project = make_project(engine, "hourly")
    store(
        engine,
        [
            make(project, ts=T0),
            make(project, ts=T0 + 3599.9),
            make(project, ts=T0 + 3600),
            make(project, ts=T0 - 0.5),
        ],
    )
    issue_id = only_issue(engine, project)["id"]
    assert hourly(engine, issue_id) == {HOUR - 1: 1, HOUR: 2, HOUR + 1: 1}
    store(engine, [make(project, ts=T0 + 10), make(project, ts=T0 + 7200)])
    assert hourly(engine, issue_id) == {HOUR - 1: 1, HOUR: 3, HOUR + 1: 1, HOUR + 2: 1}


def test_issue_tags_count_facets_and_event_tags(engine: Engine) -> None:
    project = make_project(engine, "tags")
    common: dict[str, Any] = {"environment": "prod", "release": "1.0", "service": "api"}
    store(
        engine,
        [
            make(project, ts=T0, tags={"browser": "firefox"}, **common),
            make(project, ts=T0 + 10, tags={"browser": "chrome"}, level=Level.FATAL, **common),
            make(project, ts=T0 + 20, environment="staging", tags={"browser": "firefox"}),
        ],
    )
    issue_id = only_issue(engine, project)["id"]
    expected = {
        ("level", "error"): 2,
        ("level", "fatal"): 1,
        ("environment", "prod"): 2,
        ("environment", "staging"): 1,
        ("release", "1.0"): 2,
        ("service", "api"): 2,  # once per event, although it is also an event tag
        ("browser", "firefox"): 2,
        ("browser", "chrome"): 1,
    }
    assert tag_counts(engine, issue_id) == expected
    assert tag_seen(engine, issue_id, "browser", "firefox") == (T0, T0 + 20)
    store(engine, [make(project, ts=T0 + 60, tags={"browser": "firefox"}, **common)])
    expected.update(
        {
            ("level", "error"): 3,
            ("environment", "prod"): 3,
            ("release", "1.0"): 3,
            ("service", "api"): 3,
            ("browser", "firefox"): 3,
        }
    )
    assert tag_counts(engine, issue_id) == expected
    assert tag_seen(engine, issue_id, "browser", "firefox") == (T0, T0 + 60)
    assert tag_seen(engine, issue_id, "browser", "chrome") == (T0 + 10, T0 + 10)


def test_late_older_event_moves_tag_first_seen_back(engine: Engine) -> None:
    project = make_project(engine, "late-tags")
    store(engine, [make(project, ts=T0, tags={"browser": "firefox"})])
    store(engine, [make(project, ts=T0 - 60, tags={"browser": "firefox"})])
    issue = only_issue(engine, project)
    assert issue["first_seen"] == T0 - 60
    assert tag_seen(engine, issue["id"], "browser", "firefox") == (T0 - 60, T0)


def test_stored_payload_unpacks_to_the_normalized_event(engine: Engine) -> None:
    project = make_project(engine, "payload")
    frame = Frame(filename="app.py", function="main", lineno=3, pre_context=("a", "b"))
    event = Event(
        event_id=uuid.uuid4().hex,
        project_id=project.id,
        timestamp=T0,
        received_at=T0 + 2,
        level=Level.WARNING,
        exceptions=(ExceptionValue("ValueError", "bad value", frames=(frame,)),),
        breadcrumbs=({"message": "clicked", "timestamp": T0 - 1},),
        tags={"browser": "firefox"},
        user={"id": "42"},
        contexts={"os": {"name": "Linux"}},
        release="1.0",
        fingerprint=("{{ default }}", "x"),
        extra={"n": 1, "nested": {"k": [1, 2]}},
    )
    grouping = Grouping("c" * 32, "v1", "ValueError: bad value", "app.main", ("ValueError",))
    store(engine, [ProcessedEvent(event, grouping, pack(event_to_dict(event)))])
    with read_connection(engine) as conn:
        row = conn.execute(select(events).where(events.c.event_id == event.event_id)).one()
    assert unpack(row.payload) == event_to_dict(event)
    assert unpack(row.payload)["exceptions"][0]["frames"][0]["pre_context"] == ["a", "b"]
    assert (row.title, row.level, row.user_key, row.grouping_hash) == (
        "ValueError: bad value",
        "warning",
        "id:42",
        "c" * 32,
    )


def test_same_event_id_in_two_projects_is_stored_twice(engine: Engine) -> None:
    one, two = make_project(engine, "one"), make_project(engine, "two")
    event_id = uuid.uuid4().hex
    result = store(engine, [make(one, event_id=event_id), make(two, event_id=event_id)])
    assert (result.stored, result.duplicates) == (2, 0)
    # In separate batches too, and a replay is still a duplicate within its project.
    third = make_project(engine, "three")
    later = store(engine, [make(third, event_id=event_id), make(one, event_id=event_id)])
    assert (later.stored, later.duplicates) == (1, 1)
    with read_connection(engine) as conn:
        owners = conn.execute(
            select(events.c.project_id).where(events.c.event_id == event_id)
        ).scalars()
        assert sorted(owners) == sorted([one.id, two.id, third.id])
    for project in (one, two, third):
        assert only_issue(engine, project)["times_seen"] == 1

"""The full-text index on SQLite and PostgreSQL: kept by the digest (only documents
that gain text are written), by merge and unmerge, filled for issues stored before
migration 0008; the ``url`` facet; and on 10 000 issues SQLite answers free text
from the FTS table."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, select, text

from faultbox.model import Event, ExceptionValue, Frame, Grouping, event_to_dict
from faultbox.query.issues import IssueFilters, list_issues, matching_issue_ids
from faultbox.query.search import SearchQuery
from faultbox.store import migrate, search_index
from faultbox.store.batch import ProcessedEvent
from faultbox.store.db import open_engine, read_connection, write_transaction
from faultbox.store.merge import merge_issues, unmerge_hashes
from faultbox.store.payload import pack
from faultbox.store.projects import Project
from faultbox.store.schema import issues
from faultbox.store.search_text import MAX_DOCUMENT
from tests.integration.test_store import T0, make, make_project, store, tag_counts


def search(engine: Engine, project: Project, query: str) -> set[int]:
    with read_connection(engine) as conn:
        found = matching_issue_ids(conn, project.id, IssueFilters(search=SearchQuery.parse(query)))
    return set(found)


def document(engine: Engine, issue_id: int) -> str:
    with read_connection(engine) as conn:
        return search_index.read_documents(conn, [issue_id]).get(issue_id, "")


def only_id(engine: Engine, project: Project) -> int:
    with read_connection(engine) as conn:
        return int(
            conn.execute(select(issues.c.id).where(issues.c.project_id == project.id)).scalar_one()
        )


@pytest.fixture
def written(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[set[int]]]:
    """The issue ids of each document write."""
    calls: list[set[int]] = []
    real = search_index.write_documents

    def spy(conn: Any, documents: dict[int, str]) -> None:
        calls.append(set(documents))
        real(conn, documents)

    monkeypatch.setattr(search_index, "write_documents", spy)
    yield calls


def _failure(project: Project, fingerprint: str, message: str, function: str) -> ProcessedEvent:
    event = Event(
        event_id=uuid.uuid4().hex,
        project_id=project.id,
        timestamp=T0,
        received_at=T0,
        platform="python",
        exceptions=(
            ExceptionValue(
                "ConnectionError",
                message,
                frames=(Frame(function=function, module="app.db", context_line="conn.open()"),),
            ),
        ),
        request={"url": "https://api.example.com/orders/17?token=secret#top"},
    )
    grouping = Grouping(fingerprint, "v2", f"ConnectionError: {message}", "app.db", ())
    return ProcessedEvent(event, grouping, pack(event_to_dict(event)))


def test_the_digest_writes_a_document_only_when_an_event_brings_new_text(
    engine: Engine, written: list[set[int]]
) -> None:
    project = make_project(engine, "docs")
    store(engine, [_failure(project, "a" * 32, "refused by db-1", "open_pool")])
    issue_id = only_id(engine, project)
    first = document(engine, issue_id)
    assert "refused by db 1" in first and "open pool" in first and "conn open" in first
    assert "https api example com orders 17" in first and "secret" not in first
    assert written == [{issue_id}]

    store(engine, [_failure(project, "a" * 32, "refused by db-1", "open_pool") for _ in range(3)])
    assert written == [{issue_id}, set()]  # same text: nothing written
    assert document(engine, issue_id) == first

    store(engine, [_failure(project, "a" * 32, "refused by db-2", "open_pool")])
    assert written[-1] == {issue_id}
    assert document(engine, issue_id) == first + "\nconnectionerror refused by db 2"
    assert search(engine, project, '"db 2"') == {issue_id}
    assert search(engine, project, "open_pool !db-3") == {issue_id}


def test_documents_stop_growing_at_the_bound(engine: Engine) -> None:
    project = make_project(engine, "bound")
    for start in range(0, 1200, 400):
        store(
            engine,
            [
                make(project, "b" * 32, title=f"failure code {n} x")
                for n in range(start, start + 400)
            ],
        )
    issue_id = only_id(engine, project)
    assert MAX_DOCUMENT - 40 < len(document(engine, issue_id)) <= MAX_DOCUMENT
    assert search(engine, project, '"failure code 3"') == {issue_id}  # early text stays


def test_the_url_facet_is_recorded_without_query_or_fragment(engine: Engine) -> None:
    project = make_project(engine, "urls")
    store(engine, [_failure(project, "c" * 32, "refused", "open_pool")])
    counts = tag_counts(engine, only_id(engine, project))
    assert counts[("url", "https://api.example.com/orders/17")] == 1
    assert search(engine, project, "url:*/orders/*") == {only_id(engine, project)}


def test_merge_and_unmerge_keep_the_documents(engine: Engine) -> None:
    project = make_project(engine, "merging")
    store(
        engine,
        [
            make(project, "a" * 32, title="alpha breaks", ts=T0),
            make(project, "b" * 32, title="beta breaks", ts=T0 + 1),
        ],
    )
    (a,), (b,) = search(engine, project, "alpha"), search(engine, project, "beta")
    with write_transaction(engine) as conn:
        merge_issues(conn, project.id, a, [b])
    assert search(engine, project, "beta") == {a}
    assert search(engine, project, "alpha") == {a}
    assert document(engine, b) == ""

    with write_transaction(engine) as conn:
        moved = unmerge_hashes(conn, project.id, a, ["b" * 32]).new_issue_id
    assert search(engine, project, "beta") == {moved}
    assert search(engine, project, "alpha") == {a}  # the text left with its events


def test_a_reused_sqlite_rowid_never_inherits_a_document(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'reuse.sqlite3'}")
    migrate.upgrade(engine)
    project = make_project(engine, "reuse")
    store(engine, [make(project, "a" * 32, title="alpha"), make(project, "b" * 32, title="beta")])
    a, b = (search(engine, project, t).pop() for t in ("alpha", "beta"))
    with write_transaction(engine) as conn:
        merge_issues(conn, project.id, a, [b])
        conn.execute(issues.delete().where(issues.c.id == a))  # the trigger drops its text
    store(engine, [make(project, "c" * 32, title="gamma")])
    with read_connection(engine) as conn:
        assert conn.execute(text("SELECT count(*) FROM issue_search")).scalar_one() == 1
    (gamma,) = search(engine, project, "gamma")
    assert gamma in (a, b)  # SQLite reused an id ...
    assert search(engine, project, "alpha") == search(engine, project, "beta") == set()
    engine.dispose()


def test_the_migration_indexes_issues_stored_before_it(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    migrate.upgrade(engine, "0007")
    project = make_project(engine, "old")
    payload = event_to_dict(_failure(project, "d" * 32, "pool exhausted", "acquire_slot").event)
    with engine.begin() as conn:
        issue_id = conn.execute(
            text(
                "INSERT INTO issues (project_id, short_id, title, culprit, level, status,"
                " first_seen, last_seen, times_seen, users_seen, grouping_version, is_regression,"
                " resolve_in_next_release) VALUES (:p, 1, 'ConnectionError: pool exhausted',"
                " 'app.db', 'error', 'detected', 0, 0, 1, 0, 'v2', 0, 0) RETURNING id"
            ),
            {"p": project.id},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO events (project_id, event_id, issue_id, timestamp, received_at,"
                " level, title, grouping_hash, payload) VALUES (:p, 'e1', :i, 0, 0, 'error',"
                " 'ConnectionError: pool exhausted', :h, :payload)"
            ),
            {"p": project.id, "i": issue_id, "h": "d" * 32, "payload": pack(payload)},
        )
    migrate.upgrade(engine)
    assert search(engine, project, "acquire_slot") == {issue_id}  # a frame of its event
    assert search(engine, project, '"pool exhausted"') == {issue_id}
    assert migrate.pending_changes(engine) == []
    engine.dispose()


# -- 10 000 issues ------------------------------------------------------------------


def _many(project: Project, n: int) -> ProcessedEvent:
    p = make(project, f"{n:032x}", title=f"Failure {n} in worker", ts=T0 + n)
    words = "needle haystack" if n % 1000 == 7 else "hay"
    event = dataclasses.replace(p.event, message=f"{words} batch {n}")
    return ProcessedEvent(event, p.grouping, p.payload)


def test_free_text_on_10k_issues_reads_the_fts_table(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'big.sqlite3'}")
    migrate.upgrade(engine)
    project = make_project(engine, "big")
    for start in range(0, 10_000, 500):
        store(engine, [_many(project, n) for n in range(start, start + 500)])
    statements: list[tuple[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "issue_search" in statement:
            statements.append((statement, parameters))

    filters = IssueFilters(search=SearchQuery.parse('"needle haystack" is:unresolved'))
    with read_connection(engine) as conn:
        page, _ = list_issues(conn, project.id, filters, limit=50)
    assert len(page) == 10
    # How fast is benchmarks/search.py's business; here: the plan reads the FTS index.
    statement, parameters = statements[-1]
    with engine.connect() as conn:
        plan = " | ".join(
            r[3] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        )
    assert "VIRTUAL TABLE INDEX" in plan and "issue_search" in plan, plan
    assert "events" not in plan, plan
    assert "SCAN issues" not in plan, plan  # the project's issues come from an index
    engine.dispose()


def test_the_severity_sort_pages_through_every_issue_in_order(engine: Engine) -> None:
    project = make_project(engine, "sorted")
    store(engine, [make(project, f"{n:032x}", ts=T0 + n % 4) for n in range(40)])  # tied times
    with write_transaction(engine) as conn:
        for n, issue_id in enumerate(sorted(search(engine, project, "boom"))):
            severity = [None, "P0", "P1", "P2", "P3", "P1"][n % 6]
            conn.execute(issues.update().where(issues.c.id == issue_id).values(severity=severity))
        rows = conn.execute(select(issues.c.id, issues.c.severity, issues.c.last_seen)).all()
    rank = {"P0": 0, "P1": 1, "P2": 2, "P3": 3, None: 4}
    expected = [r.id for r in sorted(rows, key=lambda r: (rank[r.severity], -r.last_seen, -r.id))]
    walked: list[int] = []
    cursor = None
    with read_connection(engine) as conn:
        while len(walked) <= len(expected):
            page, cursor = list_issues(
                conn, project.id, IssueFilters(), sort="severity", cursor=cursor, limit=7
            )
            walked += [i["id"] for i in page]
            if cursor is None:
                break
    assert walked == expected

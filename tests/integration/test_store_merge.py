"""store.merge on SQLite and PostgreSQL: chained merges, releases, retention gaps."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from faultbox.store.db import read_connection, write_transaction
from faultbox.store.merge import MergeError, busiest_issue, merge_issues, unmerge_hashes
from faultbox.store.projects import Project
from faultbox.store.schema import events, issue_hourly, issue_redirects, issues
from tests.integration.test_store import T0, issue_rows, make, make_project, store


def _ids(engine: Engine, name: str) -> tuple[Project, dict[str, int]]:
    """A project with issues a (2 events, users u1 u2), b (1 event, u1), c (1 event)."""
    project = make_project(engine, name)
    store(
        engine,
        [
            make(project, "a" * 32, ts=T0, release="1.0", user={"id": "u1"}),
            make(project, "a" * 32, ts=T0 + 7200, release="1.1", user={"id": "u2"}),
            make(project, "b" * 32, ts=T0 - 3600, release="0.9", user={"id": "u1"}),
            make(project, "c" * 32, ts=T0 + 9000, release="1.2"),
        ],
    )
    with read_connection(engine) as conn:
        rows = conn.execute(
            select(events.c.grouping_hash, events.c.issue_id).where(
                events.c.project_id == project.id
            )
        )
        by_hash = {r.grouping_hash[0]: int(r.issue_id) for r in rows}
    return project, by_hash


def test_chained_merges_redirect_to_the_last_target(engine: Engine) -> None:
    project, ids = _ids(engine, "chain")
    project_id = project.id
    with write_transaction(engine) as conn:
        assert busiest_issue(conn, [ids["b"], ids["a"]]) == ids["a"]
        merge_issues(conn, project_id, ids["a"], [ids["b"]])
    with write_transaction(engine) as conn:
        merge_issues(conn, project_id, ids["c"], [ids["a"]])
    with read_connection(engine) as conn:
        redirects = dict(
            conn.execute(select(issue_redirects.c.issue_id, issue_redirects.c.target_id)).all()
        )
        row = conn.execute(select(issues).where(issues.c.id == ids["c"])).one()
        hours = conn.execute(
            select(issue_hourly.c.count).where(issue_hourly.c.issue_id == ids["c"])
        ).scalars()
    assert redirects == {ids["a"]: ids["c"], ids["b"]: ids["c"]}
    assert (row.times_seen, row.users_seen) == (4, 2)
    assert (row.first_seen, row.last_seen) == (T0 - 3600, T0 + 9000)
    assert (row.first_release, row.last_release) == ("0.9", "1.2")
    assert sum(hours) == 4


def test_merge_refuses_other_projects_and_unknown_issues(engine: Engine) -> None:
    project, ids = _ids(engine, "one")
    project_id = project.id
    _, other = _ids(engine, "two")
    with pytest.raises(MergeError, match="no issue"), write_transaction(engine) as conn:
        merge_issues(conn, project_id, ids["a"], [other["a"]])
    with pytest.raises(MergeError, match="two different"), write_transaction(engine) as conn:
        merge_issues(conn, project_id, ids["a"], [ids["a"]])


def test_unmerge_keeps_first_seen_when_older_events_are_gone(engine: Engine) -> None:
    project, ids = _ids(engine, "gaps")
    project_id = project.id
    with write_transaction(engine) as conn:
        merge_issues(conn, project_id, ids["a"], [ids["b"], ids["c"]])
        # Retention removed the oldest event of "a"; the issue still saw it first.
        conn.execute(events.delete().where(events.c.timestamp == T0))
    with write_transaction(engine) as conn:
        result = unmerge_hashes(conn, project_id, ids["a"], ["c" * 32])
    assert result.moved_events == 1
    rows = {r["id"]: r for r in issue_rows(engine, project)}
    source, new = rows[ids["a"]], rows[result.new_issue_id]
    assert (source["times_seen"], source["first_seen"]) == (4 - 1, T0 - 3600)
    assert source["last_seen"] == T0 + 7200  # the moved event was the newest
    assert (new["times_seen"], new["first_seen"], new["last_release"]) == (1, T0 + 9000, "1.2")
    with pytest.raises(MergeError, match="no stored event"), write_transaction(engine) as conn:
        conn.execute(events.delete().where(events.c.grouping_hash == "b" * 32))
        unmerge_hashes(conn, project_id, ids["a"], ["b" * 32])

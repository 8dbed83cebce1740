"""The overdue list filter (SQL) agrees with the overdue flag (Python) on every case,
on SQLite and PostgreSQL, with a pinned clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from faultbox import clock
from faultbox.query.issues import IssueFilters, get_issue, list_issues
from faultbox.store.accounts import ensure_team
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.projects import create_project
from faultbox.store.schema import issues

T0 = 1_800_000_000.0
H = 3600.0

# name → (status, severity, first_seen, regressed_at, acknowledged_at, overdue at T0 + 2h)
CASES: dict[str, tuple[str, str | None, float, float | None, float | None, bool]] = {
    "P1 new, 2h old": ("detected", "P1", T0, None, None, True),
    "P2 new, 2h old": ("detected", "P2", T0, None, None, False),
    "P0 acknowledged": ("investigating", "P0", T0, None, T0 + 60, False),
    "P0 resolved": ("resolved", "P0", T0, None, None, False),
    "P0 ignored": ("ignored", "P0", T0, None, None, False),
    "no severity": ("detected", None, T0 - 100 * H, None, None, False),
    "P1 exactly at target": ("detected", "P1", T0 + H, None, None, False),
    "P1 regressed 30 min ago, acked before": (
        "detected",
        "P1",
        T0 - 9 * H,
        T0 + 1.5 * H,
        T0,
        False,
    ),
    "P0 regressed 30 min ago, acked before": ("detected", "P0", T0 - 9 * H, T0 + 1.5 * H, T0, True),
    "P0 regressed, acked after": ("in_progress", "P0", T0 - 9 * H, T0 + H, T0 + 1.1 * H, False),
    "P3 a day and a bit": ("diagnosed", "P3", T0 - 23 * H, None, None, True),
}


@pytest.fixture
def pinned() -> Iterator[None]:
    clock.pin(T0 + 2 * H)
    yield
    clock.pin(None)


def test_filter_and_flag_agree(engine: Engine, pinned: None) -> None:
    with write_transaction(engine) as conn:
        project = create_project(conn, name="shop", team_id=ensure_team(conn, "core"))
        ids: dict[str, int] = {}
        for n, (name, (status, severity, first, regressed, acked, _)) in enumerate(CASES.items()):
            row: dict[str, Any] = {
                "project_id": project.id,
                "short_id": n + 1,
                "title": name,
                "level": "error",
                "status": status,
                "first_seen": first,
                "last_seen": first,
                "times_seen": 1,
                "users_seen": 0,
                "grouping_version": "v2",
                "severity": severity,
                "regressed_at": regressed,
                "acknowledged_at": acked,
            }
            ids[name] = int(conn.execute(issues.insert().values(row)).inserted_primary_key[0])
    expected = {name for name, case in CASES.items() if case[-1]}
    with read_connection(engine) as conn:
        flagged = {name for name, i in ids.items() if get_issue(conn, i)["overdue"]}  # type: ignore[index]
        late, _ = list_issues(conn, project.id, IssueFilters(overdue=True), limit=100)
        on_time, _ = list_issues(conn, project.id, IssueFilters(overdue=False), limit=100)
        p0, _ = list_issues(conn, project.id, IssueFilters(severity="P0"), limit=100)
        late_p0, _ = list_issues(
            conn, project.id, IssueFilters(severity="P0", overdue=True), limit=100
        )
    assert flagged == expected
    assert {i["title"] for i in late} == expected
    assert {i["title"] for i in on_time} == set(CASES) - expected
    assert {i["title"] for i in p0} == {n for n, c in CASES.items() if c[1] == "P0"}
    assert {i["title"] for i in late_p0} == {"P0 regressed 30 min ago, acked before"}
    first = next(i for i in late if i["title"] == "P1 new, 2h old")
    assert first["overdue_since"] == "2027-01-15T09:00:00Z"  # T0 + 1h
    assert first["response_due_at"] == first["overdue_since"]
    acked = next(i for i in on_time if i["title"] == "P0 acknowledged")
    assert acked["response_due_at"] is None and acked["overdue_since"] is None

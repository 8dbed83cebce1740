"""New issues get severity, taxonomy and their first activity entries in the batch's
transaction (SQLite and PostgreSQL), set-based."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, event, select

from faultbox.lifecycle.new_issues import on_new_issues
from faultbox.model import Event, ExceptionValue, Grouping, Level, event_to_dict
from faultbox.store.accounts import ensure_team
from faultbox.store.activity import activity_of
from faultbox.store.batch import ProcessedEvent, store_batch
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.issue_fields import update_issues
from faultbox.store.payload import pack
from faultbox.store.projects import create_project
from faultbox.store.schema import issues

NOW = 1_800_000_000.0


def _event(project_id: int, digest: str, ts: float, level: Level, type_: str) -> ProcessedEvent:
    ev = Event(
        event_id=uuid.uuid4().hex,
        project_id=project_id,
        timestamp=ts,
        received_at=ts,
        level=level,
        service="payments",
        exceptions=(ExceptionValue(type=type_, value="boom"),),
    )
    return ProcessedEvent(
        ev, Grouping(digest, "v2", type_, None, (digest,)), pack(event_to_dict(ev))
    )


def test_new_issues_get_severity_taxonomy_and_activity(engine: Engine) -> None:
    with write_transaction(engine) as conn:
        team = ensure_team(conn, "core")
        shop = create_project(conn, name="shop", team_id=team)
        other = create_project(conn, name="other", team_id=team)
    batch = [
        # Two events of one issue: the earlier (fatal KeyError) decides.
        _event(shop.id, "a" * 32, NOW - 5, Level.ERROR, "TimeoutError"),
        _event(shop.id, "a" * 32, NOW - 9, Level.FATAL, "KeyError"),
        _event(shop.id, "b" * 32, NOW, Level.ERROR, "ConnectionError"),
        _event(other.id, "c" * 32, NOW, Level.ERROR, "ConnectionError"),
    ]
    statements: list[str] = []
    with write_transaction(engine) as conn:
        result = store_batch(conn, batch)
        assert len(result.new_issue_ids) == 3
        rules = {shop.id: "# shop\nservice:payments level:error -> P1\n", other.id: None}

        def count(conn: object, cursor: object, sql: str, *args: object) -> None:
            statements.append(sql.split()[0].upper())

        event.listen(engine, "before_cursor_execute", count)
        try:
            on_new_issues(conn, result.events_by_issue, rules, NOW)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    # One UPDATE (executemany) and one INSERT, whatever the number of issues.
    assert statements == ["UPDATE", "INSERT"]

    with read_connection(engine) as conn:
        shop_rows = conn.execute(
            select(issues).where(issues.c.project_id == shop.id).order_by(issues.c.id)
        ).all()
        other_row = conn.execute(select(issues).where(issues.c.project_id == other.id)).one()
        fatal, shop_conn = shop_rows
        log = activity_of(conn, fatal.id)

    assert (fatal.severity, fatal.severity_reason) == ("P1", "default for level fatal: P1")
    assert fatal.taxonomy == "logic" and "KeyError" in fatal.taxonomy_reason
    assert fatal.status == "detected" and fatal.status_changed_at == NOW
    assert (shop_conn.severity, shop_conn.taxonomy) == ("P1", "integration")
    assert shop_conn.severity_reason == "project rule (line 2): service:payments level:error -> P1"
    assert (other_row.severity, other_row.severity_reason) == ("P2", "default for level error: P2")

    assert [(e["kind"], e["field"], e["new_value"], e["email"]) for e in log] == [
        ("created", None, "detected", None),
        ("severity", "severity", "P1", None),
        ("taxonomy", "taxonomy", "logic", None),
    ]
    assert log[1]["note"] == "default for level fatal: P1" and log[0]["created_at"] == NOW


def test_bad_stored_rules_fall_back_to_the_defaults(engine: Engine) -> None:
    with write_transaction(engine) as conn:
        shop = create_project(conn, name="shop", team_id=ensure_team(conn, "core"))
        result = store_batch(conn, [_event(shop.id, "d" * 32, NOW, Level.ERROR, "X")])
        on_new_issues(conn, result.events_by_issue, {shop.id: "level:error -> P9"}, NOW)
        row = conn.execute(select(issues.c.severity, issues.c.severity_reason)).one()
    assert tuple(row) == ("P2", "default for level error: P2")


def test_update_issues_refuses_unknown_or_mixed_columns(engine: Engine) -> None:
    with write_transaction(engine) as conn:
        update_issues(conn, [])  # nothing to do, no statement
        for rows in ([{"id": 1, "title": "x"}], [{"id": 1, "severity": "P1"}, {"id": 2}]):
            try:
                update_issues(conn, rows)
            except ValueError as exc:
                assert "update_issues" in str(exc)
            else:
                raise AssertionError(f"accepted {rows}")

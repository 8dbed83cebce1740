"""Retention through HTTP on SQLite and PostgreSQL: the per-project setting's API and
its bad input, events sent by the protocol and deleted by a run while the issue's
counts, hourly history, tags and the aggregate stats stay; a resent event id stored
once (on PostgreSQL across the partitioned table); the dashboard's Retention tab."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import delete

from faultbox.lifecycle.retention import (
    DAY,
    RetentionDefaults,
    next_run_at,
    run_retention,
)
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.retention import project_retentions
from faultbox.store.schema import job_leases
from tests.support import LiveServer, wait_for
from tests.web.admin_client import admin, close_browsers, person, sign_in

__all__ = ["close_browsers"]  # the autouse fixture


def put(server: LiveServer, body: Any, token: str | None = None) -> httpx.Response:
    return httpx.put(
        f"{server.url}/api/v1/projects/{server.project.slug}/retention",
        json=body,
        headers={"Authorization": f"Bearer {token or server.admin_token(['project:write'])}"},
        timeout=10,
    )


def own_days(server: LiveServer) -> tuple[int | None, int | None]:
    with read_connection(server.engine) as conn:
        (policy,) = project_retentions(conn, server.project.id)
    return policy.info_days, policy.error_days


def test_the_retention_setting_through_the_api(live_server: LiveServer) -> None:
    slug = live_server.project.slug
    shown = live_server.api_json(f"/api/v1/projects/{slug}/retention")
    assert shown["info_days"] is None and shown["error_days"] is None
    assert shown["effective"] == {"info_days": 90, "error_days": 365}
    assert shown["server_defaults"] == {"info_days": 90, "error_days": 365}
    assert shown["levels"] == {
        "info_days": ["debug", "info"],
        "error_days": ["warning", "error", "fatal"],
    }

    saved = put(live_server, {"info_days": 14, "error_days": 36500})
    assert saved.status_code == 200, saved.text
    assert saved.json()["effective"] == {"info_days": 14, "error_days": 36500}
    assert own_days(live_server) == (14, 36500)
    back = put(live_server, {"error_days": None})  # a key left out: the default too
    assert back.json()["effective"] == {"info_days": 90, "error_days": 365}
    assert own_days(live_server) == (None, None)


def test_bad_retention_input_is_refused_with_a_reason(live_server: LiveServer) -> None:
    server, slug = live_server, live_server.project.slug
    put(server, {"info_days": 30})
    bad = {
        "zero": ({"info_days": 0}, "between 1 and 36500"),
        "too long": ({"error_days": 36501}, "between 1 and 36500"),
        "text": ({"info_days": "90"}, "whole number of days"),
        "fraction": ({"info_days": 1.5}, "whole number of days"),
        "boolean": ({"error_days": True}, "whole number of days"),
        "unknown key": ({"info_days": 30, "days": 3}, "unknown field(s) days"),
        "not an object": ([30, 365], "JSON object"),
    }
    for name, (body, reason) in bad.items():
        response = put(server, body)
        assert response.status_code == 400, name
        assert reason in response.json()["detail"], (name, response.text)
    assert own_days(server) == (30, None)  # nothing changed

    url = f"{server.url}/api/v1/projects/{slug}/retention"
    assert httpx.get(url, timeout=10).status_code == 401
    assert httpx.put(url, json={}, timeout=10).status_code == 401
    reader = server.admin_token(["project:read"])
    assert put(server, {"info_days": 7}, token=reader).status_code == 403
    assert server.api(f"/api/v1/projects/{slug}/retention", token=reader).status_code == 200
    assert server.api("/api/v1/projects/nope/retention").status_code == 404
    missing = httpx.put(
        f"{server.url}/api/v1/projects/nope/retention",
        json={},
        headers={"Authorization": f"Bearer {server.admin_token(['project:write'])}"},
        timeout=10,
    )
    assert missing.status_code == 404
    assert own_days(server) == (30, None)


def _event(message: str, level: str) -> dict[str, Any]:
    return {
        "message": message,
        "level": level,
        "platform": "python",
        "tags": {"shard": "7"},
        "user": {"id": "u1"},
    }


def top(server: LiveServer) -> dict[str, Any]:
    """The top error types of the day, without the window's bounds (time moves)."""
    data: dict[str, Any] = server.api_json("/api/v1/stats/top", period="24h")
    return {k: v for k, v in data.items() if k not in ("start", "end", "previous_start")}


def test_deleted_events_leave_the_issues_counts_and_history(live_server: LiveServer) -> None:
    server = live_server
    for i in range(3):
        server.send_event(f"{i:032x}", _event("disk full", "error"))
    server.send_event("f" * 32, _event("cache warmed", "info"))
    server.wait_events(4)
    (issue,) = [i for i in server.issues() if i["title"] == "disk full"]
    before = server.api_json(f"/api/v1/issues/{issue['id']}")
    top_before = top(server)

    # Ten days on, only the info event is gone; past a year, all of them.
    engine, defaults = server.engine, RetentionDefaults(info_days=7, error_days=365)
    first = run_retention(engine, defaults, time.time() + 10 * DAY)
    assert first.events == 1 and server.event_count() == 3
    later = run_retention(engine, defaults, time.time() + 400 * DAY)
    assert later.events == 3 and server.event_count() == 0

    after = server.api_json(f"/api/v1/issues/{issue['id']}")
    for key in ("count", "user_count", "first_seen", "last_seen", "title", "tags"):
        assert after[key] == before[key], key
    assert after["count"] == 3 and after["user_count"] == 1
    assert sum(n for _, n in after["stats"]["14d"]) == 3
    assert top(server) == top_before  # from the hourly counts
    events = server.api_json(f"/api/v1/issues/{issue['id']}/events")
    assert events["data"] == []


def test_a_resent_event_is_stored_once(live_server: LiveServer) -> None:
    server = live_server
    server.send_event("a" * 32, _event("boom", "error"))
    server.wait_events(1)
    server.send_event("a" * 32, _event("boom", "error"))  # the SDK retried
    server.send_event("b" * 32, _event("other", "error"))
    server.wait_events(2)
    wait_for(lambda: server.issues())
    counts = {i["title"]: i["count"] for i in server.issues()}
    assert counts == {"boom": 1, "other": 1}
    assert server.event_count() == 2


def test_the_dashboard_retention_tab(sqlite_server: LiveServer) -> None:
    server, slug = sqlite_server, sqlite_server.project.slug
    browser = admin(server)
    tab = browser.get(f"/admin/projects/{slug}/settings/retention")
    assert tab.status_code == 200
    assert 'aria-current="page">Retention' in tab.text
    assert "<strong>90 days</strong> (server default)" in tab.text
    saved = browser.post(
        f"/admin/projects/{slug}/settings/retention", {"info_days": "30", "error_days": ""}
    )
    assert saved.status_code == 303
    assert own_days(server) == (30, None)
    # The server's worker ran the job as it started: the next run is an hour later.
    until = wait_for(lambda: next_run_at(server.engine))
    shown = browser.get(saved.headers["location"]).text
    next_run = datetime.fromtimestamp(until, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert f"Next retention run: {next_run}" in shown
    assert "Saved. The next retention run (hourly) applies it." in shown
    assert "<strong>30 days</strong> (this project's setting; server default 90)" in shown
    for value, reason in (
        ("0", "Days to keep debug and info events must be between 1 and 36500"),
        ("1e3", "whole number of days, or empty for the server&#39;s default"),
    ):
        bad = browser.post(f"/admin/projects/{slug}/settings/retention", {"info_days": value})
        assert bad.status_code == 400 and reason in bad.text
        assert f'value="{value}"' in bad.text  # what was typed stays, to fix it
    assert own_days(server) == (30, None)
    with write_transaction(server.engine) as conn:
        conn.execute(delete(job_leases).where(job_leases.c.name == "retention"))
    due = browser.get(f"/admin/projects/{slug}/settings/retention").text
    assert "Next retention run: due: at the next sweep of a digest worker" in due

    person(server.engine, "viewer@example.com", role="viewer")
    viewer = sign_in(server, "viewer@example.com")
    page = viewer.get(f"/admin/projects/{slug}/settings/retention")
    assert page.status_code == 200 and "Read-only" in page.text
    denied = viewer.post(f"/admin/projects/{slug}/settings/retention", {"info_days": "1"})
    assert denied.status_code == 403
    assert browser.get("/admin/projects/nope/settings/retention").status_code == 404
    assert own_days(server) == (30, None)

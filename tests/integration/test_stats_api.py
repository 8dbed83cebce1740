"""GET /api/v1/stats/summary end to end (SQLite and PostgreSQL) on known timelines:
MTTR and MTTD arithmetic, regression cycles, open counts replayed from the activity
log to the start of the window, trends, and who may ask for what."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from faultbox import clock
from faultbox.store.accounts import add_member, create_token, create_user, ensure_team
from faultbox.store.db import write_transaction
from faultbox.store.projects import create_project
from tests.integration.stats_timeline import NOW, D, H, Timeline
from tests.support import LiveServer, password_hash


@pytest.fixture(autouse=True)
def pinned_clock() -> Iterator[None]:
    clock.pin(NOW)
    yield
    clock.pin(None)


def summary(server: LiveServer, **params: Any) -> dict[str, Any]:
    data: dict[str, Any] = server.api_json("/api/v1/stats/summary", **params)
    return data


def test_mttr_and_mttd_are_means_over_a_known_timeline(live_server: LiveServer) -> None:
    with write_transaction(live_server.engine) as conn:
        t = Timeline(conn, live_server.project.id)
        me = t.user_id()
        # A: acknowledged (a status change) after 30 min, resolved after 2 h.
        a = t.issue(
            first_seen=NOW - 10 * D, status="resolved", acknowledged_at=NOW - 10 * D + H / 2
        )
        t.log(a, "created", NOW - 10 * D, new="detected")
        t.log(a, "severity", NOW - 10 * D, new="P2")  # by a rule: not a human action
        t.status(a, NOW - 10 * D + H / 2, "detected", "investigating", by=me)
        t.status(a, NOW - 10 * D + 2 * H, "investigating", "resolved", by=me)
        # B: first touched by a comment after 90 min (acknowledged_at unset), resolved
        # after 4 h straight from detected.
        b = t.issue(first_seen=NOW - 5 * D, status="resolved")
        t.log(b, "created", NOW - 5 * D, new="detected")
        t.log(b, "comment", NOW - 5 * D + 1.5 * H, by=me, new="1")
        t.status(b, NOW - 5 * D + 4 * H, "detected", "resolved", by=me)
        # C: still open and never touched: in no mean.
        t.issue(first_seen=NOW - 2 * D)

    metrics = summary(live_server)["metrics"]
    assert metrics["mttr_seconds"] == {
        "value": 3 * H,  # (2 h + 4 h) / 2
        "previous": None,
        "change_pct": None,
        "direction": None,
        "assessment": None,
        "sample": 2,
        "previous_sample": 0,
    }
    assert metrics["mttd_seconds"]["value"] == 1 * H  # (30 min + 90 min) / 2
    assert metrics["mttd_seconds"]["sample"] == 2
    assert metrics["resolved"]["value"] == 2
    assert metrics["resolved"]["previous"] == 0
    assert metrics["resolved"]["direction"] == "up"
    assert metrics["resolved"]["assessment"] == "improving"  # more resolutions is better
    assert metrics["active_errors"]["value"] == 1
    assert metrics["new_issues"]["value"] == 3

    # A 7-day window holds only B (resolved 5 days ago) and C.
    week = summary(live_server, period="7d")
    assert week["metrics"]["mttr_seconds"]["value"] == 4 * H
    assert week["metrics"]["mttr_seconds"]["previous"] == 2 * H  # A, 8-14 days ago
    assert week["metrics"]["mttr_seconds"]["direction"] == "up"
    assert week["metrics"]["mttr_seconds"]["assessment"] == "worsening"
    assert week["period"] == "7d"
    assert week["start"] == "2027-01-08T08:00:00Z"
    assert week["end"] == "2027-01-15T08:00:00Z"
    assert week["previous_start"] == "2027-01-01T08:00:00Z"


def test_a_regression_or_a_reopening_starts_a_new_resolution_cycle(
    live_server: LiveServer,
) -> None:
    with write_transaction(live_server.engine) as conn:
        t = Timeline(conn, live_server.project.id)
        me = t.user_id()
        # C: resolved a day after it appeared (previous window), regressed 3 days ago
        # (the digest's entry: no user, old/new are releases), fixed 6 h later.
        c = t.issue(first_seen=NOW - 50 * D, status="resolved")
        t.status(c, NOW - 49 * D, "detected", "resolved", by=me)
        t.log(c, "regression", NOW - 3 * D, old="1.0", new="1.1")
        t.status(c, NOW - 3 * D + 6 * H, "detected", "resolved", by=me)
        # D: resolved after 10 h, verified, reopened by hand, resolved 2 h later.
        d = t.issue(first_seen=NOW - 20 * D, status="resolved")
        t.status(d, NOW - 20 * D + 10 * H, "detected", "resolved", by=me)
        t.status(d, NOW - 19 * D, "resolved", "verified", by=me)
        t.status(d, NOW - 2 * D, "verified", "investigating", by=me)
        t.status(d, NOW - 2 * D + 2 * H, "investigating", "resolved", by=me)
        # E: acknowledged 2 h after it appeared, with nothing in the log (imported).
        t.issue(first_seen=NOW - 4 * D, acknowledged_at=NOW - 4 * D + 2 * H)

    metrics = summary(live_server)["metrics"]
    mttr = metrics["mttr_seconds"]
    assert (mttr["value"], mttr["sample"]) == (6 * H, 3)  # (6 h + 10 h + 2 h) / 3
    assert (mttr["previous"], mttr["previous_sample"]) == (24 * H, 1)
    assert mttr["change_pct"] == -75.0
    assert (mttr["direction"], mttr["assessment"]) == ("down", "improving")
    resolved = metrics["resolved"]
    assert (resolved["value"], resolved["previous"], resolved["change_pct"]) == (3, 1, 200.0)
    # First human actions: D after 10 h and E after 2 h now; C after a day before.
    mttd = metrics["mttd_seconds"]
    assert (mttd["value"], mttd["sample"]) == (6 * H, 2)
    assert (mttd["previous"], mttd["previous_sample"]) == (24 * H, 1)


def test_open_counts_at_the_start_of_the_window_come_from_the_log(
    live_server: LiveServer,
) -> None:
    with write_transaction(live_server.engine) as conn:
        t = Timeline(conn, live_server.project.id)
        me = t.user_id()
        old = NOW - 40 * D  # before the window (which starts 30 days ago)
        # Open throughout, P0.
        t.issue(first_seen=old, severity="P0")
        # Resolved before the window began.
        f = t.issue(first_seen=old, severity="P1", status="resolved")
        t.status(f, NOW - 35 * D, "detected", "resolved", by=me)
        # Open (P1, investigating) when the window began, resolved in it.
        g = t.issue(first_seen=old, severity="P1", status="resolved")
        t.status(g, NOW - 39 * D, "detected", "investigating", by=me)
        t.status(g, NOW - 10 * D, "investigating", "resolved", by=me)
        # New in the window, open, P0.
        t.issue(first_seen=NOW - 5 * D, severity="P0")
        # Open throughout, raised from P2 to P0 yesterday.
        i = t.issue(first_seen=NOW - 45 * D, severity="P0")
        t.log(i, "severity", NOW - 1 * D, by=me, old="P2", new="P0")
        # Ignored then, its ignore ended two days ago (the digest's "unignored").
        j = t.issue(first_seen=NOW - 45 * D, severity="P3")
        t.status(j, NOW - 44 * D, "detected", "ignored", by=me)
        t.log(j, "unignored", NOW - 2 * D, old="ignored", new="detected")
        # Fixed then, regressed yesterday.
        k = t.issue(first_seen=NOW - 50 * D, severity="P1")
        t.status(k, NOW - 48 * D, "detected", "resolved", by=me)
        t.log(k, "regression", NOW - 1 * D, old="1.0", new="1.1")
        # A P1 that got its severity only after the window began (none before).
        n = t.issue(first_seen=NOW - 45 * D, severity="P1", status="investigating")
        t.log(n, "severity", NOW - 20 * D, by=me, old=None, new="P1")

    metrics = summary(live_server)["metrics"]
    active = metrics["active_errors"]
    # Now: E, H, I, J, K, N open; then: E, G, I, N.
    assert (active["value"], active["previous"]) == (6, 4)
    assert (active["change_pct"], active["direction"], active["assessment"]) == (
        50.0,
        "up",
        "worsening",
    )
    assert (metrics["p0_open"]["value"], metrics["p0_open"]["previous"]) == (3, 1)
    p1 = metrics["p1_open"]
    assert (p1["value"], p1["previous"]) == (2, 1)  # K, N now; G then (N had none)
    assert (p1["direction"], p1["assessment"]) == ("up", "worsening")
    new = metrics["new_issues"]
    assert (new["value"], new["previous"]) == (1, 7)
    assert (new["direction"], new["assessment"]) == ("down", "improving")


def test_project_scope_and_authorization(live_server: LiveServer) -> None:
    with write_transaction(live_server.engine) as conn:
        other_team = ensure_team(conn, "other")
        frontend = create_project(conn, name="frontend", team_id=ensure_team(conn, "default"))
        hidden = create_project(conn, name="secret", team_id=other_team)
        Timeline(conn, live_server.project.id).issue(first_seen=NOW - D)
        Timeline(conn, frontend.id).issue(first_seen=NOW - D)
        Timeline(conn, frontend.id).issue(first_seen=NOW - 2 * D)
        Timeline(conn, hidden.id).issue(first_seen=NOW - D)
        outsider = create_user(
            conn,
            email="out@example.com",
            password_hash=password_hash("pw-12345678"),
            is_superuser=False,
        )
        add_member(conn, team_id=other_team, user_id=outsider.id, role="member")
        outsider_token = create_token(conn, user_id=outsider.id, scopes=["event:read"])
        no_events = create_token(conn, user_id=outsider.id, scopes=["project:read"])

    def active(**params: Any) -> int:
        return int(summary(live_server, **params)["metrics"]["active_errors"]["value"])

    assert active(project="backend") == 1
    assert active(project="frontend") == 2
    assert active(project=["backend", "frontend"]) == 3  # not "secret"
    assert active() == 4  # the superuser sees every project
    both = summary(live_server, project=["frontend", "backend"])
    assert both["projects"] == ["frontend", "backend"]

    url = live_server.url + "/api/v1/stats/summary"
    for path in ("summary", "top", "series", "users"):
        response = live_server.api(f"/api/v1/stats/{path}", project="nope")
        assert response.status_code == 404
        assert response.json()["detail"] == "no project 'nope'"
    # Another team's member: "backend" does not exist for them, "secret" does.
    response = live_server.api("/api/v1/stats/summary", token=outsider_token, project="backend")
    assert response.status_code == 404
    mine = live_server.api("/api/v1/stats/summary", token=outsider_token).json()
    assert mine["projects"] == ["secret"]
    assert mine["metrics"]["active_errors"]["value"] == 1
    assert httpx.get(url, timeout=10).status_code == 401
    assert live_server.api("/api/v1/stats/summary", token=no_events).status_code == 403


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "30x"}, "period must be"),
        ({"period": "0d"}, "period must be"),
        ({"period": "366d"}, "from 1h to 365d"),
        ({"period": "-1d"}, "period must be"),
        ({"period": ""}, "period must be"),
    ],
)
def test_bad_periods_are_clear_400s(
    live_server: LiveServer, params: dict[str, str], message: str
) -> None:
    for path in ("summary", "top", "series", "users"):
        response = live_server.api(f"/api/v1/stats/{path}", **params)
        assert response.status_code == 400, response.text
        assert message in response.json()["detail"]

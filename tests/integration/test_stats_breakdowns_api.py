"""GET /api/v1/stats/top, /series and /users end to end (SQLite and PostgreSQL):
shares of known counts, buckets of events at known times, affected users, bad
parameters; and the same endpoints over events that went through the digest."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from faultbox import clock
from faultbox.store.accounts import ensure_team
from faultbox.store.db import write_transaction
from faultbox.store.projects import create_project
from tests.integration.stats_timeline import NOW, D, H, Timeline
from tests.support import LiveServer


@pytest.fixture
def pinned() -> Iterator[None]:
    clock.pin(NOW)
    yield
    clock.pin(None)


def get(server: LiveServer, path: str, **params: Any) -> dict[str, Any]:
    data: dict[str, Any] = server.api_json(f"/api/v1/stats/{path}", **params)
    return data


def rows(entries: list[dict[str, Any]], key: str) -> list[tuple[Any, int, float, int]]:
    return [(e[key], e["events"], e["share"], e["issues"]) for e in entries]


@pytest.mark.usefixtures("pinned")
def test_top_types_taxonomies_and_patterns_with_their_shares(live_server: LiveServer) -> None:
    with write_transaction(live_server.engine) as conn:
        t = Timeline(conn, live_server.project.id)
        v1 = t.issue(first_seen=NOW - 2 * D, title="ValueError: bad amount", taxonomy="logic")
        v2 = t.issue(first_seen=NOW - 5 * D, title="ValueError: bad currency", taxonomy="logic")
        k1 = t.issue(first_seen=NOW - 9 * D, title="KeyError: 'sku'", taxonomy="runtime")
        m1 = t.issue(first_seen=NOW - 20 * D, title="Payment provider said: declined")
        old = t.issue(first_seen=NOW - 50 * D, title="TypeError: x", taxonomy="logic")
        for issue, at, n in ((v1, NOW - 2 * H, 60), (v2, NOW - 3 * D, 40), (k1, NOW - D, 60)):
            t.hourly(issue, at, n)
        t.hourly(m1, NOW - 10 * D, 40)
        t.hourly(old, NOW - 40 * D, 500)  # before the window
        frontend = create_project(conn, name="frontend", team_id=ensure_team(conn, "default"))
        f = Timeline(conn, frontend.id)
        f1 = f.issue(first_seen=NOW - D, title="ValueError: NaN", taxonomy="logic")
        f.hourly(f1, NOW - H, 100)
        t.pattern(1, "Validation at the edge", [v1, v2])
        t.pattern(2, "Missing catalogue data", [k1, f1])
        t.pattern(3, "Old types", [old])

    backend = get(live_server, "top", project="backend")
    assert backend["total_events"] == 200
    assert rows(backend["types"], "type") == [
        ("ValueError", 100, 50.0, 2),
        ("KeyError", 60, 30.0, 1),
        (None, 40, 20.0, 1),  # a message title has no type
    ]
    assert rows(backend["taxonomies"], "taxonomy") == [
        ("logic", 100, 50.0, 2),
        ("runtime", 60, 30.0, 1),
        (None, 40, 20.0, 1),
    ]
    # Only the linked issues of the chosen project count; PAT-003 had no events.
    assert [
        (p["pattern"], p["title"], p["events"], p["share"], p["issues"])
        for p in backend["patterns"]
    ] == [
        ("PAT-001", "Validation at the edge", 100, 50.0, 2),
        ("PAT-002", "Missing catalogue data", 60, 30.0, 1),
    ]

    overall = get(live_server, "top")
    assert overall["projects"] == ["backend", "frontend"]
    assert overall["total_events"] == 300
    assert rows(overall["types"], "type") == [
        ("ValueError", 200, 66.66, 3),  # rounded down: the shares never pass 100
        ("KeyError", 60, 20.0, 1),
        (None, 40, 13.33, 1),
    ]
    for listing in ("types", "taxonomies"):
        assert sum(e["share"] for e in overall[listing]) <= 100
    assert [(p["pattern"], p["events"]) for p in overall["patterns"]] == [
        ("PAT-002", 160),  # k1 and f1
        ("PAT-001", 100),
    ]

    assert len(get(live_server, "top", limit=1)["types"]) == 1
    assert get(live_server, "top", period="1d")["total_events"] == 220  # v1, k1, f1
    assert live_server.api("/api/v1/stats/top", limit=0).status_code == 422


@pytest.mark.usefixtures("pinned")
def test_series_buckets_by_service_environment_and_release(live_server: LiveServer) -> None:
    with write_transaction(live_server.engine) as conn:
        t = Timeline(conn, live_server.project.id)
        a = t.issue(first_seen=NOW - 2 * D)
        b = t.issue(first_seen=NOW - 2 * D)
        t.events(a, NOW - 30 * 60, 3, service="api", environment="production", release="1.0")
        t.events(a, NOW - 90 * 60, 2, service="api", environment="staging", release="1.1")
        t.events(b, NOW - 90 * 60, 1, environment="production")
        t.events(b, NOW - 5 * H, 4, service="worker", environment="production", release="1.0")
        t.events(a, NOW - 30 * H, 5, service="api", environment="production")  # yesterday
        t.events(a, NOW - 40 * D, 9, service="api", environment="production")  # long ago

    hourly = get(live_server, "series", period="24h")  # hourly by default up to 2 days
    assert (hourly["by"], hourly["interval"]) == ("service", "hour")
    assert len(hourly["buckets"]) == 25  # 24 whole hours and the current one
    assert hourly["buckets"][0] == "2027-01-14T08:00:00Z"
    assert hourly["buckets"][-1] == "2027-01-15T08:00:00Z"

    def at(*pairs: tuple[int, int]) -> list[int]:
        counts = [0] * 25
        for hours_ago, n in pairs:
            counts[24 - hours_ago] = n
        return counts

    assert hourly["series"] == [
        {"value": "api", "total": 5, "counts": at((1, 3), (2, 2))},
        {"value": "worker", "total": 4, "counts": at((5, 4))},
        {"value": None, "total": 1, "counts": at((2, 1))},
    ]
    assert hourly["total"] == at((1, 3), (2, 3), (5, 4))
    assert hourly["other"] is None

    top_one = get(live_server, "series", period="24h", limit=1)
    assert [s["value"] for s in top_one["series"]] == ["api"]
    assert top_one["other"] == {"values": 2, "total": 5, "counts": at((2, 1), (5, 4))}

    environments = get(live_server, "series", period="24h", by="environment")
    assert [(s["value"], s["total"]) for s in environments["series"]] == [
        ("production", 8),
        ("staging", 2),
    ]

    daily = get(live_server, "series", period="7d", by="release")
    assert daily["interval"] == "day"
    assert daily["buckets"][0] == "2027-01-08T00:00:00Z"  # whole UTC days
    assert len(daily["buckets"]) == 8
    assert daily["series"] == [
        {"value": "1.0", "total": 7, "counts": [0] * 7 + [7]},
        {"value": None, "total": 6, "counts": [0] * 6 + [5, 1]},
        {"value": "1.1", "total": 2, "counts": [0] * 7 + [2]},
    ]
    assert sum(daily["total"]) == 15


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"by": "level"}, "by must be one of service, environment, release; got 'level'"),
        ({"interval": "minute"}, "interval must be hour or day; got 'minute'"),
        ({"interval": "hour", "period": "60d"}, "interval=hour covers at most 31 days"),
    ],
)
def test_bad_series_parameters_are_clear_400s(
    live_server: LiveServer, params: dict[str, str], message: str
) -> None:
    response = live_server.api("/api/v1/stats/series", **params)
    assert response.status_code == 400
    assert message in response.json()["detail"]


@pytest.mark.usefixtures("pinned")
def test_users_affected_per_issue_and_most_affected_users(live_server: LiveServer) -> None:
    with write_transaction(live_server.engine) as conn:
        t = Timeline(conn, live_server.project.id)
        i1 = t.issue(first_seen=NOW - 3 * D, last_seen=NOW - H, users_seen=10, title="A: a")
        t.issue(first_seen=NOW - 50 * D, last_seen=NOW - 40 * D, users_seen=50)  # not lately
        i3 = t.issue(first_seen=NOW - 3 * D, last_seen=NOW - 2 * D, users_seen=5)
        i4 = t.issue(first_seen=NOW - 3 * D, last_seen=NOW - 3 * H, users_seen=20)
        t.events(i4, NOW - 3 * H, 3, user_key="id:alice")
        t.events(i1, NOW - H, 2, user_key="id:bob")
        t.events(i1, NOW - H, 4)  # no user
        t.events(i3, NOW - 2 * D, 1, user_key="id:carol")
        t.events(i3, NOW - 40 * D, 7, user_key="id:dave")  # before the window

    data = get(live_server, "users")
    assert [(i["id"], i["users"], i["events_in_period"]) for i in data["issues"]] == [
        (i4, 20, 3),
        (i1, 10, 6),
        (i3, 5, 1),
    ]
    assert data["issues"][1]["short_id"].startswith("ERR-")
    assert data["issues"][1]["project"] == "backend"
    assert data["users"] == [
        {"user": "id:alice", "events": 3},
        {"user": "id:bob", "events": 2},
        {"user": "id:carol", "events": 1},
    ]
    two = get(live_server, "users", limit=2)
    assert len(two["issues"]) == len(two["users"]) == 2


def test_stats_over_events_that_went_through_the_digest(live_server: LiveServer) -> None:
    def send(event: dict[str, Any]) -> None:
        live_server.send_event(uuid.uuid4().hex, {"timestamp": time.time(), **event})

    crash = {
        "exception": {"values": [{"type": "ZeroDivisionError", "value": "division by zero"}]},
        "release": "shop@1.0",
        "tags": {"service": "checkout"},
        "user": {"id": "42"},
    }
    send({**crash, "environment": "production"})
    send({**crash, "environment": "staging"})
    send({"message": "Cache warmed up in 35 s", "level": "error", "environment": "production"})
    live_server.wait_events(3)

    top = get(live_server, "top", period="24h")
    assert top["total_events"] == 3
    assert rows(top["types"], "type") == [("ZeroDivisionError", 2, 66.66, 1), (None, 1, 33.33, 1)]
    series = get(live_server, "series", period="24h", by="environment")
    assert [(s["value"], s["total"]) for s in series["series"]] == [
        ("production", 2),
        ("staging", 1),
    ]
    assert sum(get(live_server, "series", by="release")["total"]) == 3
    users = get(live_server, "users", period="24h")
    assert [(u["user"], u["events"]) for u in users["users"]] == [("id:42", 2)]
    summary = get(live_server, "summary", period="24h")
    assert summary["metrics"]["new_issues"]["value"] == 2
    assert summary["metrics"]["active_errors"]["value"] == 2
    assert orjson.dumps(summary)  # plain JSON all the way

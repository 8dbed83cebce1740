"""Cron monitors and release health against a live Faultbox: the official sentry-sdk's
``capture_checkin``, ``monitor`` decorator and sessions, the native check-in endpoint
with every kind of bad input, and the monitors API."""

from __future__ import annotations

import gzip
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
import sentry_sdk
from sentry_sdk.crons import capture_checkin, monitor
from sentry_sdk.utils import event_from_exception
from sqlalchemy import select

from faultbox.alerts.evaluate import evaluate_rules
from faultbox.store.alert_rules import create_rule
from faultbox.store.db import read_connection, write_transaction
from faultbox.store.monitors import get_monitor
from faultbox.store.schema import dead_letters
from faultbox.store.session_counts import SessionTotals, session_totals
from tests.support import LiveServer, wait_for

HOURLY = {
    "schedule": {"type": "crontab", "value": "0 * * * *"},
    "checkin_margin": 5,
    "max_runtime": 30,
    "timezone": "Europe/Berlin",
}


@pytest.fixture
def sdk(live_server: LiveServer) -> Iterator[LiveServer]:
    sentry_sdk.init(
        dsn=live_server.dsn,
        release="shop@2.1.0",
        environment="production",
        default_integrations=False,
    )
    yield live_server
    sentry_sdk.get_client().close(timeout=5)


def _monitors(server: LiveServer) -> dict[str, dict[str, Any]]:
    data = server.api_json(f"/api/v1/projects/{server.project.slug}/monitors")["data"]
    return {m["slug"]: m for m in data}


def _runs(server: LiveServer, slug: str, **params: Any) -> list[dict[str, Any]]:
    path = f"/api/v1/projects/{server.project.slug}/monitors/{slug}/checkins"
    data: list[dict[str, Any]] = server.api_json(path, **params)["data"]
    return data


def _finished_runs(server: LiveServer, slug: str, n: int) -> list[dict[str, Any]]:
    def ready() -> list[dict[str, Any]] | None:
        if slug not in _monitors(server):
            return None
        runs = _runs(server, slug)
        done = [r for r in runs if r["status"] != "in_progress"]
        return runs if len(done) >= n else None

    found: list[dict[str, Any]] = wait_for(ready)
    return found


# -- the SDK -------------------------------------------------------------------------


def test_capture_checkin_creates_the_monitor_and_closes_the_run(sdk: LiveServer) -> None:
    run = capture_checkin("nightly-backup", status="in_progress", monitor_config=HOURLY)
    assert run is not None
    capture_checkin("nightly-backup", check_in_id=run, status="ok", duration=12.5)
    sentry_sdk.flush(timeout=10)
    [only] = _finished_runs(sdk, "nightly-backup", 1)
    assert (only["check_in_id"], only["status"], only["duration"]) == (run, "ok", 12.5)
    assert (only["environment"], only["release"]) == ("production", "shop@2.1.0")
    created = _monitors(sdk)["nightly-backup"]
    assert created["status"] == "ok"
    assert created["schedule"] == {
        "type": "crontab",
        "value": "0 * * * *",
        "description": "0 * * * * (Europe/Berlin)",
    }
    assert (created["timezone"], created["checkin_margin"], created["max_runtime"]) == (
        "Europe/Berlin",
        5,
        30,
    )
    assert created["next_expected_at"].endswith(":00:00Z")  # the next full hour


def test_the_monitor_decorator_reports_a_failing_job(sdk: LiveServer) -> None:
    @monitor(monitor_slug="invoices", monitor_config=HOURLY)
    def send_invoices(fail: bool) -> None:
        if fail:
            raise RuntimeError("smtp down")

    send_invoices(False)
    with pytest.raises(RuntimeError):
        send_invoices(True)
    sentry_sdk.flush(timeout=10)
    runs = _finished_runs(sdk, "invoices", 2)
    assert sorted(r["status"] for r in runs) == ["error", "ok"]
    assert all(r["duration"] is not None and r["duration"] >= 0 for r in runs)
    assert _monitors(sdk)["invoices"]["status"] in ("ok", "error")


def test_a_job_the_sdk_stops_reporting_fires_the_monitor_rule(sdk: LiveServer) -> None:
    with write_transaction(sdk.engine) as conn:
        rule = create_rule(
            conn,
            project_id=sdk.project.id,
            name="crons",
            condition="monitor",
            params={"monitor": "hourly-sync"},
            now=time.time() - 60,
        )
    hourly = {"schedule": {"type": "interval", "value": 1, "unit": "hour"}, "checkin_margin": 5}
    capture_checkin("hourly-sync", status="ok", monitor_config=hourly)
    sentry_sdk.flush(timeout=10)
    _finished_runs(sdk, "hourly-sync", 1)
    with read_connection(sdk.engine) as conn:
        job = get_monitor(conn, sdk.project.id, "hourly-sync")
    assert job is not None and job.next_expected_at is not None and job.last_checkin_at
    assert job.next_expected_at == pytest.approx(job.last_checkin_at + 3600)
    deadline = job.next_expected_at + 5 * 60
    with write_transaction(sdk.engine) as conn:
        assert evaluate_rules(conn, deadline - 1) == []
    with write_transaction(sdk.engine) as conn:
        [fired] = evaluate_rules(conn, deadline + 1)
    assert (fired.rule_id, fired.subject) == (rule, "monitor:hourly-sync")
    assert [r["status"] for r in _runs(sdk, "hourly-sync")] == ["missed", "ok"]
    assert _monitors(sdk)["hourly-sync"]["status"] == "missed"


def _totals(server: LiveServer) -> SessionTotals:
    now = time.time()
    with read_connection(server.engine) as conn:
        return session_totals(conn, server.project.id, since=now - 3600, until=now + 60)


def test_sessions_from_the_sdk_count_started_and_crashed(sdk: LiveServer) -> None:
    client = sentry_sdk.get_client()
    for crash in (False, True, False):
        with sentry_sdk.isolation_scope() as scope:
            scope.start_session(session_mode="application")
            if crash:
                try:
                    raise ZeroDivisionError("division by zero")
                except ZeroDivisionError:
                    event, hint = event_from_exception(
                        sys.exc_info(),
                        client_options=client.options,
                        mechanism={"type": "test", "handled": False},
                    )
                sentry_sdk.capture_event(event, hint=hint)
            scope.end_session()
    # Request mode: the SDK aggregates sessions into one ``sessions`` item.
    for _ in range(4):
        with sentry_sdk.isolation_scope() as scope:
            scope.start_session(session_mode="request")
            scope.end_session()
    sentry_sdk.flush(timeout=10)
    totals = wait_for(lambda: (t := _totals(sdk)).started >= 7 and t)
    assert (totals.started, totals.crashed, totals.errored, totals.abnormal) == (7, 1, 0, 0)
    wait_for(lambda: _accepted(sdk, "session") >= 4)  # three sessions and one aggregate
    assert not [
        o
        for o in sdk.api_json(f"/api/v1/projects/{sdk.project.slug}")["outcomes"]
        if o["category"] == "session" and o["outcome"] == "dropped"
    ]


def _session_update(sid: str, **fields: Any) -> bytes:
    update = {"sid": sid, "attrs": {"release": "shop@2.1.0", "environment": "production"}}
    return b"\n".join([b"{}", b'{"type":"session"}', orjson.dumps(update | fields)])


def test_a_resent_session_update_counts_once(sqlite_server: LiveServer) -> None:
    """An SDK resends an envelope whose answer it lost: the session still counts once
    as started and once by its outcome."""
    server = sqlite_server
    crashed = _session_update(uuid.uuid4().hex, init=True, status="crashed", errors=1)
    opened, other = uuid.uuid4().hex, uuid.uuid4().hex
    updates = [
        crashed,
        crashed,
        _session_update(opened, init=True, status="ok"),
        _session_update(opened, init=True, status="ok"),
        _session_update(opened, status="exited", errors=2),
        _session_update(opened, status="exited", errors=2),
        _session_update(other, init=True, status="exited"),
    ]
    for body in updates:
        answer = server.post(f"/api/{server.project.id}/envelope/", body, server.auth_header())
        assert answer.status_code == 200, answer.text
    wait_for(lambda: _accepted(server, "session") >= len(updates))

    def counted() -> tuple[int, ...]:
        t = _totals(server)
        return (t.started, t.crashed, t.errored, t.abnormal)

    # All seven were accepted; the digest counts three sessions, one crashed, one errored.
    assert wait_for(lambda: counted() == (3, 1, 1, 0) and counted(), timeout=15)
    time.sleep(0.5)  # nothing more arrives late
    assert counted() == (3, 1, 1, 0)


# -- the native endpoint -----------------------------------------------------------


def _key(server: LiveServer) -> dict[str, str]:
    return {"X-Faultbox-Key": server.project.public_key, "Content-Type": "application/json"}


def _post_check_in(
    server: LiveServer, slug: str, body: object, headers: dict[str, str] | None = None
) -> httpx.Response:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    sent = _key(server) if headers is None else headers
    return server.post(f"/api/v1/monitors/{slug}/checkins", raw, sent)


def test_native_check_ins_open_and_close_a_run(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    first = _post_check_in(server, "db-vacuum", {"status": "in_progress", **_config()})
    assert first.status_code == 202, first.text
    run = first.json()["check_in_id"]
    assert first.json() == {"success": True, "check_in_id": run}
    assert first.headers["access-control-allow-origin"] == "*"  # as /api/v1/errors
    done = _post_check_in(server, "db-vacuum", {"status": "ok", "check_in_id": run})
    assert done.status_code == 202 and done.json()["check_in_id"] == run
    again = _post_check_in(server, "db-vacuum", {"status": "error", "check_in_id": run})
    assert again.status_code == 202  # accepted; a finished run does not change
    plain = _post_check_in(
        server,
        "db-vacuum",
        {"status": "error", "duration": 4, "environment": "staging"},
        {"Authorization": f"DSN {server.dsn}"},
    )
    assert plain.status_code == 202, plain.text
    runs = _finished_runs(server, "db-vacuum", 2)
    by_id = {r["check_in_id"]: r for r in runs}
    assert by_id[run]["status"] == "ok" and by_id[run]["duration"] >= 0
    assert by_id[plain.json()["check_in_id"]]["environment"] == "staging"
    assert _monitors(server)["db-vacuum"]["schedule"]["description"] == "every 10 minutes"
    wait_for(lambda: _accepted(server, "monitor") >= 4)
    assert _accepted(server, "monitor") == 4


def _accepted(server: LiveServer, category: str) -> int:
    """The accepted outcomes of a data category flushed so far (by the app's housekeeping)."""
    detail = server.api_json(f"/api/v1/projects/{server.project.slug}")
    return sum(
        o["quantity"]
        for o in detail["outcomes"]
        if (o["category"], o["outcome"]) == (category, "accepted")
    )


def _config() -> dict[str, Any]:
    return {"monitor_config": {"schedule": {"type": "interval", "value": 10, "unit": "minute"}}}


@pytest.mark.parametrize(
    ("slug", "body", "headers", "status", "message"),
    [
        ("x", {"status": "ok"}, {}, 401, "missing authentication"),
        ("x", {"status": "ok"}, {"X-Faultbox-Key": "0" * 32}, 403, "unknown public key"),
        ("x", {"status": "ok"}, {"X-Faultbox-Key": "zz"}, 400, "malformed public key"),
        ("nope", {"status": "ok"}, None, 404, "no monitor 'nope' in this project"),
        ("x", {"status": "done", **_config()}, None, 400, "status must be one of"),
        ("x", {**_config()}, None, 400, "status must be one of"),
        ("x", {"status": "ok", "check_in_id": "42", **_config()}, None, 400, "UUID"),
        ("x", {"status": "ok", "duration": -1, **_config()}, None, 400, "duration"),
        ("x", {"status": "ok", "duration": "1s", **_config()}, None, 400, "duration"),
        ("x", {"status": "ok", "release": 5, **_config()}, None, 400, "release"),
        ("x", {"status": "ok", "environment": "e" * 65, **_config()}, None, 400, "environment"),
        ("x", {"status": "ok", "monitor_config": []}, None, 400, "monitor_config must be"),
        (
            "x",
            {"status": "ok", "monitor_config": {"schedule": {"type": "crontab", "value": "* *"}}},
            None,
            400,
            "five fields",
        ),
        (
            "x",
            {"status": "ok", "monitor_config": {**_config()["monitor_config"], "timezone": "Moon"}},
            None,
            400,
            "unknown time zone",
        ),
        (
            "x",
            {"status": "ok", "monitor_config": {**_config()["monitor_config"], "max_runtime": 0}},
            None,
            400,
            "max_runtime",
        ),
        ("x", b"{not json", None, 400, "JSON"),
        ("x", b"[1, 2]", None, 400, "must be a JSON object"),
        ("---", {"status": "ok", **_config()}, None, 400, "letter or digit"),
    ],
)
def test_native_check_in_bad_input(
    sqlite_server: LiveServer,
    slug: str,
    body: object,
    headers: dict[str, str] | None,
    status: int,
    message: str,
) -> None:
    response = _post_check_in(sqlite_server, slug, body, headers)
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["success"] is False and message in answer["error"], answer


def test_native_check_in_size_and_method(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    big = {"status": "ok", "release": "r", "padding": "x" * 200_000, **_config()}
    response = _post_check_in(server, "x", big)
    assert response.status_code == 413, response.text
    bomb = gzip.compress(orjson.dumps(big))
    response = _post_check_in(server, "x", bomb, {**_key(server), "Content-Encoding": "gzip"})
    assert response.status_code == 413, response.text
    got = httpx.get(f"{server.url}/api/v1/monitors/x/checkins", headers=_key(server))
    assert got.status_code == 405


# -- envelopes with bad items ------------------------------------------------------


def _envelope(server: LiveServer, item_type: str, payload: object) -> httpx.Response:
    body = b"\n".join([b"{}", orjson.dumps({"type": item_type}), orjson.dumps(payload)])
    return server.post(f"/api/{server.project.id}/envelope/", body, server.auth_header())


@pytest.mark.parametrize(
    ("item_type", "payload", "message"),
    [
        (
            "check_in",
            {"monitor_slug": "a", "status": "finished", "check_in_id": "a" * 32},
            "status",
        ),
        ("check_in", {"status": "ok", "check_in_id": "a" * 32}, "monitor_slug"),
        ("check_in", [1], "must be a JSON object"),
        ("session", {"sid": "s", "init": True, "status": "ok"}, "attrs.release"),
        ("session", {"sid": "s", "status": "dead", "attrs": {"release": "r"}}, "status"),
        ("session", {"sid": "s", "errors": -1, "attrs": {"release": "r"}}, "errors"),
        ("sessions", {"aggregates": "many", "attrs": {"release": "r"}}, "aggregates"),
        ("sessions", {"aggregates": [{"crashed": 1.5}], "attrs": {"release": "r"}}, "crashed"),
    ],
)
def test_garbage_items_get_a_clear_400(
    sqlite_server: LiveServer, item_type: str, payload: object, message: str
) -> None:
    response = _envelope(sqlite_server, item_type, payload)
    assert response.status_code == 400, response.text
    assert message in response.json()["detail"]
    assert f"({item_type})" in response.json()["detail"]


def test_a_bad_item_beside_an_event_costs_only_itself(sqlite_server: LiveServer) -> None:
    """sentry-sdk sends the session update in the error's envelope: a malformed session
    must not lose the error. The bad item is dropped and counted as invalid."""
    server = sqlite_server
    event_id = uuid.uuid4().hex
    body = b"\n".join(
        [
            orjson.dumps({"event_id": event_id}),
            b'{"type":"event"}',
            orjson.dumps({"message": "kept beside a bad session", "level": "error"}),
            b'{"type":"session"}',
            orjson.dumps({"sid": "s", "status": "dead", "attrs": {"release": "r"}}),
            b'{"type":"check_in"}',
            b"[1]",
        ]
    )
    response = server.post(f"/api/{server.project.id}/envelope/", body, server.auth_header())
    assert response.status_code == 200, response.text
    assert response.json() == {"id": event_id}
    server.wait_events(1)
    assert server.issues()[0]["title"] == "kept beside a bad session"

    def invalid() -> dict[str, int]:
        data = server.api_json("/api/v1/stats/outcomes", project=server.project.slug, period="24h")
        return {d["reason"]: d["quantity"] for d in data["dropped"] if d["outcome"] == "invalid"}

    assert wait_for(lambda: invalid() or None) == {"invalid_session": 1, "invalid_check_in": 1}
    assert _accepted(server, "error") == 1


def test_a_check_in_for_an_unknown_monitor_is_dead_lettered(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    response = _envelope(
        server, "check_in", {"monitor_slug": "ghost", "status": "ok", "check_in_id": "b" * 32}
    )
    assert response.status_code == 200  # the SDK cannot act on a refusal: Sentry accepts too

    def reason() -> str | None:
        with read_connection(server.engine) as conn:
            return conn.execute(select(dead_letters.c.reason)).scalar()

    assert wait_for(reason) == "no monitor 'ghost' and no monitor_config to create it"


# -- the API -----------------------------------------------------------------------


def _api(server: LiveServer, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
    url = f"{server.url}/api/v1/projects/{server.project.slug}/monitors{path}"
    token = token or server.admin_token(["project:read", "project:write"])
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.request(method, url, headers=headers, timeout=10, **kw)


def test_monitors_api_create_update_delete(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    body = {"slug": "reports", "schedule": {"type": "interval", "value": 2, "unit": "hour"}}
    created = _api(server, "POST", "", json=body)
    assert created.status_code == 201, created.text
    assert (created.json()["status"], created.json()["next_expected_at"]) == ("new", None)
    assert _api(server, "POST", "", json=body).status_code == 409
    patched = _api(
        server,
        "PATCH",
        "/reports",
        json={"schedule": {"type": "crontab", "value": "@daily"}, "timezone": "Asia/Tokyo"},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["schedule"]["value"] == "0 0 * * *"
    assert patched.json()["timezone"] == "Asia/Tokyo"
    assert _api(server, "PATCH", "/reports", json={"timezone": "Nowhere"}).status_code == 422
    assert _api(server, "PATCH", "/reports", json={"max_runtime": 0}).status_code == 422
    assert _api(server, "PATCH", "/nope", json={"enabled": False}).status_code == 404
    paused = _api(server, "PATCH", "/reports", json={"enabled": False, "name": "Reports <b>"})
    assert paused.status_code == 200, paused.text
    assert (paused.json()["enabled"], paused.json()["name"]) == (False, "Reports <b>")
    assert _api(server, "PATCH", "/reports", json={"enabled": True}).json()["enabled"] is True
    # The monitor exists now: a check-in without config is accepted.
    ok = _post_check_in(server, "reports", {"status": "ok"})
    assert ok.status_code == 202, ok.text
    _finished_runs(server, "reports", 1)
    assert _api(server, "DELETE", "/reports").status_code == 204
    assert _api(server, "GET", "/reports").status_code == 404
    assert _post_check_in(server, "reports", {"status": "ok"}).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"slug": "Bad Slug", "schedule": {"type": "crontab", "value": "0 * * * *"}},
        {"slug": "a", "schedule": {"type": "crontab", "value": "99 * * * *"}},
        {"slug": "a", "schedule": {"type": "interval", "value": 5, "unit": "fortnight"}},
        {"slug": "a", "schedule": {"type": "crontab", "value": "0 * * * *"}, "extra": 1},
        {"slug": "a"},
    ],
)
def test_monitors_api_rejects_bad_monitors(sqlite_server: LiveServer, body: Any) -> None:
    assert _api(sqlite_server, "POST", "", json=body).status_code == 422


def test_monitors_api_needs_the_right_scopes(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    reader = server.admin_token(["project:read"])
    body = {"slug": "a", "schedule": {"type": "crontab", "value": "0 * * * *"}}
    assert _api(server, "POST", "", token=reader, json=body).status_code == 403
    assert _api(server, "GET", "", token=reader).status_code == 200
    assert _api(server, "GET", "", token="nope").status_code == 401


def test_runs_are_listed_newest_first_in_keyset_pages(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    for _ in range(5):
        response = _post_check_in(server, "pages", {"status": "ok", **_config()})
        assert response.status_code == 202
    _finished_runs(server, "pages", 5)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = server.api_json(
            f"/api/v1/projects/{server.project.slug}/monitors/pages/checkins", **params
        )
        seen += [r["started_at"] + r["check_in_id"] for r in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and len(set(seen)) == 5
    assert seen == sorted(seen, reverse=True)
    bad = server.api(
        f"/api/v1/projects/{server.project.slug}/monitors/pages/checkins", cursor="garbage"
    )
    assert bad.status_code == 400

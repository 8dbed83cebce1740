"""Protocol details a Sentry client relies on: backpressure, CORS, per-project scrubbing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from faultbox.config import load_settings
from faultbox.query.dsn import dsn_for
from faultbox.store import migrate
from faultbox.store.db import open_engine
from tests.support import LiveServer, free_port, seed, start_server, wait_for


def _envelope(n: int, extra: dict[str, object] | None = None) -> bytes:
    item = orjson.dumps({"message": f"event {n}", "extra": extra or {}})
    return b"\n".join(
        [orjson.dumps({"event_id": f"{n:032x}"}), orjson.dumps({"type": "event"}), item]
    )


@pytest.fixture
def small_queue_server(tmp_path: Path) -> Iterator[LiveServer]:
    """No digest worker and a queue bound of 10: the 11th event meets backpressure."""
    port = free_port()
    url = f"sqlite:///{tmp_path / 'faultbox.sqlite3'}"
    settings = load_settings(
        {
            "data_dir": str(tmp_path / "data"),
            "database_url": url,
            "port": port,
            "queue_max_depth": 10,
        },
        environ={},
    )
    engine = open_engine(url)
    migrate.upgrade(engine)
    project, token = seed(engine, settings.public_url)
    server, thread, app = start_server(settings, worker="none")
    dsn = dsn_for(settings.public_url, project) or ""
    yield LiveServer(settings.public_url, settings, engine, project, dsn, token, app)
    server.should_exit = True
    thread.join(timeout=20)
    engine.dispose()


def test_full_queue_answers_429_with_retry_after_and_rate_limits(
    small_queue_server: LiveServer,
) -> None:
    server = small_queue_server
    path = f"/api/{server.project.id}/envelope/"
    for n in range(10):
        assert server.post(path, _envelope(n), server.auth_header()).status_code == 200
    response = server.post(path, _envelope(10), server.auth_header())
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    retry, categories, scope, reason = response.headers["X-Sentry-Rate-Limits"].split(":")
    assert (int(retry) > 0, categories, reason) == (True, "", "queue_full")  # "" = every category
    assert "retry after" in response.json()["detail"]
    native = server.post(
        "/api/v1/errors",
        orjson.dumps({"errorCode": "E", "errorType": "T", "message": "m"}),
        {"X-Faultbox-Key": server.project.public_key or ""},
    )
    assert native.status_code == 429 and native.json()["success"] is False
    assert native.headers["Retry-After"]


def test_browser_preflight_and_exposed_headers(sqlite_server: LiveServer) -> None:
    path = f"/api/{sqlite_server.project.id}/envelope/"
    preflight = httpx.options(
        sqlite_server.url + path,
        headers={
            "Origin": "https://shop.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-sentry-auth",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "x-sentry-auth" in preflight.headers["Access-Control-Allow-Headers"]
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    query = f"?sentry_key={sqlite_server.project.public_key}&sentry_version=7"
    response = sqlite_server.post(path + query, _envelope(1), {"Content-Type": "text/plain"})
    assert response.status_code == 200
    exposed = response.headers["Access-Control-Expose-Headers"]
    assert "X-Sentry-Rate-Limits" in exposed and "Retry-After" in exposed
    wrong_method = httpx.get(sqlite_server.url + path + query)
    assert wrong_method.status_code == 405


def test_per_project_scrubbing_settings_apply_to_new_events(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    url = f"{server.url}/api/v1/projects/{server.project.slug}/scrubbing"
    auth = {"Authorization": f"Bearer {server.token}"}
    assert httpx.get(url, headers=auth).json()["extra_fields"] == []
    # The seeded token lacks project:write.
    assert httpx.put(url, headers=auth, json={"extra_fields": ["iban"]}).status_code == 403

    writer = server.admin_token(["project:read", "project:write"])
    ok = httpx.put(
        url,
        headers={"Authorization": f"Bearer {writer}"},
        json={"extra_fields": ["iban"], "safe_fields": ["session_count"]},
    )
    assert ok.status_code == 200 and ok.json()["extra_fields"] == ["iban"]

    body = _envelope(7, {"iban": "DE89 3704 0044 0532 0130 00", "session_count": 3, "note": "ok"})
    assert (
        server.post(f"/api/{server.project.id}/envelope/", body, server.auth_header()).status_code
        == 200
    )
    event = wait_for(
        lambda: (r := server.api(f"/api/v1/events/{7:032x}")).status_code == 200 and r.json()
    )
    assert event["extra"] == {"iban": "[Filtered]", "session_count": 3, "note": "ok"}

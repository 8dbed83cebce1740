"""Test helpers shared by the suites: a live server handle, seeding, polling."""

from __future__ import annotations

import asyncio
import functools
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvicorn
from sqlalchemy import Engine

from faultbox.accounts.passwords import hash_password
from faultbox.app import create_app
from faultbox.config import Settings
from faultbox.store.accounts import (
    add_member,
    create_token,
    create_user,
    ensure_team,
    get_user_by_email,
)
from faultbox.store.db import write_transaction
from faultbox.store.projects import Project, create_project

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("FAULTBOX_CORPUS", REPO.parent / "shared" / "corpus" / "samples"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Poll until predicate() is truthy; return its value or fail with the last one."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {value!r})")


# -- a live server -----------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    settings: Settings
    engine: Engine
    project: Project
    dsn: str
    token: str
    app: Any

    def api(self, path: str, token: str | None = None, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return httpx.get(self.url + path, params=params, headers=headers, timeout=10)

    def api_json(self, path: str, **params: Any) -> Any:
        response = self.api(path, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def issues(self, **params: Any) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self.api_json(
            f"/api/v1/projects/{self.project.slug}/issues", **params
        )["data"]
        return data

    def event_count(self) -> int:
        return int(self.api_json(f"/api/v1/projects/{self.project.slug}")["event_count"])

    def wait_events(self, n: int, timeout: float = 15.0) -> None:
        wait_for(lambda: self.event_count() >= n, timeout)

    def post(
        self, path: str, content: bytes, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return httpx.post(self.url + path, content=content, headers=headers or {}, timeout=10)

    def send_event(self, event_id: str, event: dict[str, Any]) -> None:
        """Send one event as a plain envelope and require the 200."""
        body = b"\n".join(
            [orjson.dumps({"event_id": event_id}), b'{"type":"event"}', orjson.dumps(event)]
        )
        response = self.post(f"/api/{self.project.id}/envelope/", body, self.auth_header())
        assert response.status_code == 200, response.text

    def admin_token(self, scopes: list[str]) -> str:
        """Another token of the seeded superuser, with exactly these scopes."""
        with write_transaction(self.engine) as conn:
            user = get_user_by_email(conn, "admin@example.com")
            return create_token(conn, user_id=user.id, scopes=scopes)

    def auth_header(self) -> dict[str, str]:
        return {"X-Sentry-Auth": f"Sentry sentry_key={self.project.public_key}, sentry_version=7"}


@functools.cache
def password_hash(password: str) -> str:
    """One argon2 hash per password per test session: argon2 is slow on purpose (~0.15 s
    on this machine), and every live server's seed used to pay it."""
    return hash_password(password)


def seed(engine: Engine, public_url: str, project_name: str = "backend") -> tuple[Project, str]:
    with write_transaction(engine) as conn:
        team_id = ensure_team(conn, "default")
        user = create_user(
            conn,
            email="admin@example.com",
            password_hash=password_hash("s3cret-pass"),
            is_superuser=True,
        )
        add_member(conn, team_id=team_id, user_id=user.id, role="owner")
        project = create_project(conn, name=project_name, team_id=team_id)
        token = create_token(
            conn, user_id=user.id, scopes=["project:read", "event:read", "event:write"]
        )
    return project, token


def start_server(
    settings: Settings, *, worker: str = "thread"
) -> tuple[uvicorn.Server, threading.Thread, Any]:
    app = create_app(settings, worker=worker)  # type: ignore[arg-type]
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=settings.port,
        log_level="warning",
        access_log=False,
        loop="asyncio",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, 10)
    return server, thread, app


def put_sync(queue: Any, messages: list[Any]) -> None:
    """Append from synchronous test code; a Redis queue's client for that short event
    loop is closed with it (an unclosed one warns)."""

    async def go() -> None:
        try:
            await queue.put_many(messages)
        finally:
            detach = getattr(queue, "detach_loop", None)
            if detach is not None:
                await detach()

    asyncio.run(go())

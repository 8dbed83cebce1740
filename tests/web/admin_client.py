"""Signing in to the dashboard over HTTP for the admin page tests, and seeding people."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from faultbox.store.accounts import add_member, create_user, ensure_team
from faultbox.store.db import write_transaction
from tests.support import LiveServer, password_hash
from tests.web._signin import ADMIN, log_in

_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)"')
_OPEN: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def close_browsers() -> Iterator[None]:
    """Import this into a test module: every Browser's client is closed after each test."""
    yield
    while _OPEN:
        _OPEN.pop().close()


class Browser:
    """An httpx client holding a session, posting forms with the page's CSRF token."""

    def __init__(self, server: LiveServer, email: str, password: str) -> None:
        self.client = httpx.Client(base_url=server.url, timeout=20)
        _OPEN.append(self.client)
        log_in(self.client, email, password)
        self._csrf = ""

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = self.client.get(path, headers={"accept": "text/html"}, **kwargs)
        found = _CSRF_META.search(response.text)
        if found and found.group(1):
            self._csrf = found.group(1)
        return response

    def csrf(self) -> str:
        if not self._csrf:
            self.get("/admin")
        return self._csrf

    def post(
        self, path: str, data: dict[str, Any] | None = None, *, htmx: bool = False
    ) -> httpx.Response:
        headers = {"accept": "text/html"}
        if htmx:
            headers.update({"hx-request": "true", "x-csrf-token": self.csrf()})
        form = {"csrf_token": self.csrf(), **(data or {})}
        return self.client.post(path, data=form, headers=headers)

    def close(self) -> None:
        self.client.close()


def admin(server: LiveServer) -> Browser:
    return Browser(server, *ADMIN)


def person(
    engine: Engine,
    email: str,
    *,
    role: str | None = None,
    team: str = "default",
    password: str = "pass-word-1",
    superuser: bool = False,
) -> int:
    """A user (in ``team`` with ``role`` when given); returns the id."""
    with write_transaction(engine) as conn:
        user = create_user(
            conn, email=email, password_hash=password_hash(password), is_superuser=superuser
        )
        if role is not None:
            add_member(conn, team_id=ensure_team(conn, team), user_id=user.id, role=role)
    return user.id


def sign_in(server: LiveServer, email: str, password: str = "pass-word-1") -> Browser:
    return Browser(server, email, password)

"""Signing in to the dashboard over HTTP, and users in teams, for the page tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from faultbox.store.accounts import add_member, create_user, ensure_team
from faultbox.store.db import write_transaction
from faultbox.store.projects import Project, create_project
from tests.support import LiveServer, password_hash

ADMIN = ("admin@example.com", "s3cret-pass")
PASSWORD = "another-s3cret-pass"


@contextmanager
def sign_in(
    server: LiveServer, email: str = ADMIN[0], password: str = ADMIN[1]
) -> Iterator[httpx.Client]:
    """A client holding a session cookie (and asking for HTML, as a browser does)."""
    with httpx.Client(base_url=server.url, timeout=20, headers={"accept": "text/html"}) as client:
        log_in(client, email, password)
        yield client


def log_in(client: httpx.Client, email: str, password: str) -> None:
    """Sign ``client`` in through the login form (its CSRF cookie and token)."""
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text
    done = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token.group(1)}
    )
    assert done.status_code == 303, done.text


def csrf_of(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found
    return found.group(1)


def add_user(server: LiveServer, email: str, role: str, team: str = "default") -> None:
    with write_transaction(server.engine) as conn:
        team_id = ensure_team(conn, team)
        user = create_user(
            conn, email=email, password_hash=password_hash(PASSWORD), is_superuser=False
        )
        add_member(conn, team_id=team_id, user_id=user.id, role=role)


def other_team_project(server: LiveServer, name: str = "secret-shop") -> Project:
    with write_transaction(server.engine) as conn:
        team_id = ensure_team(conn, "others")
        return create_project(conn, name=name, team_id=team_id)

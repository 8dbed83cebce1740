"""The releases API: created by events and by POST, listed with what happened in each,
deploys; bad input answered with a clear 4xx."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sentry_sdk

from faultbox import clock
from faultbox.store.db import write_transaction
from faultbox.store.projects import create_project
from tests.support import LiveServer, wait_for

T0 = 1_800_000_000.0


@pytest.fixture
def server(live_server: LiveServer) -> Iterator[LiveServer]:
    clock.pin(T0)
    yield live_server
    clock.pin(None)


def _post(server: LiveServer, path: str, body: Any, token: str) -> httpx.Response:
    return httpx.post(
        server.url + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def _writer(server: LiveServer) -> str:
    return server.admin_token(["project:releases", "project:read"])


def checkout() -> None:
    raise RuntimeError("checkout failed")


def refund() -> None:
    raise LookupError("refund not found")


def _send(server: LiveServer, release: str, *bugs: Any) -> None:
    sentry_sdk.init(dsn=server.dsn, release=release)
    for bug in bugs:
        try:
            bug()
        except Exception:
            sentry_sdk.capture_exception()
    sentry_sdk.flush(timeout=10)
    sentry_sdk.get_client().close(timeout=5)


def test_events_create_releases_listed_with_their_issues_and_events(server: LiveServer) -> None:
    slug = server.project.slug
    _send(server, "shop@1.0.0", checkout, checkout)
    server.wait_events(2)
    _send(server, "shop@1.1.0", refund, checkout)
    server.wait_events(4)

    listed = server.api_json(f"/api/v1/projects/{slug}/releases")
    assert listed["next_cursor"] is None
    by_version = {r["version"]: r for r in listed["data"]}
    assert set(by_version) == {"shop@1.0.0", "shop@1.1.0"}
    first, second = by_version["shop@1.0.0"], by_version["shop@1.1.0"]
    assert (first["new_issues"], first["event_count"], first["regressed_issues"]) == (1, 2, 0)
    assert (second["new_issues"], second["event_count"]) == (1, 2)
    assert (first["package"], first["semver"], first["commit"]) == ("shop", "1.0.0", None)
    assert first["deploys"] == [] and first["last_deploy"] is None
    assert [r["version"] for r in listed["data"]] == ["shop@1.1.0", "shop@1.0.0"]  # newest first

    # Sentry's release creation after the events: 208, the commit filled in.
    token = _writer(server)
    again = _post(
        server,
        "/api/v1/releases",
        {"projects": [slug], "version": "shop@1.1.0", "commit": "a1b2c3d"},
        token,
    )
    assert again.status_code == 208, again.text
    [release] = again.json()["releases"]
    assert (release["created"], release["commit"], release["event_count"]) == (False, "a1b2c3d", 2)

    deploy = _post(
        server,
        f"/api/v1/projects/{slug}/releases/shop@1.1.0/deploys",
        {"environment": "production"},
        token,
    )
    assert deploy.status_code == 201, deploy.text
    assert deploy.json()["deployed_at"] == "2027-01-15T08:00:00Z"  # the pinned clock
    _post(
        server,
        f"/api/v1/projects/{slug}/releases/shop@1.1.0/deploys",
        {"environment": "staging", "deployed_at": "2027-01-15T07:00:00Z"},
        token,
    )
    deploys = server.api_json(f"/api/v1/projects/{slug}/releases/shop@1.1.0/deploys")["data"]
    assert [d["environment"] for d in deploys] == ["production", "staging"]
    detail = server.api_json(f"/api/v1/projects/{slug}/releases/shop@1.1.0")
    assert detail["deploy_count"] == 2 and detail["last_deploy"]["environment"] == "production"


def test_created_through_the_api_in_several_projects(server: LiveServer) -> None:
    with write_transaction(server.engine) as conn:
        team_id = conn.exec_driver_sql("SELECT team_id FROM projects").scalar_one()
        create_project(conn, name="frontend", team_id=team_id)
    token = _writer(server)
    body = {
        "projects": ["backend", "frontend"],
        "version": "2.0.0",
        "commit": "deadbeef",
        "url": "https://ci.example.com/builds/42",
    }
    created = _post(server, "/api/v1/releases", body, token)
    assert created.status_code == 201, created.text
    out = created.json()
    assert out["version"] == "2.0.0"
    assert [(r["project"], r["created"], r["commit"]) for r in out["releases"]] == [
        ("backend", True, "deadbeef"),
        ("frontend", True, "deadbeef"),
    ]
    assert out["releases"][0]["created_at"] == "2027-01-15T08:00:00Z"
    assert _post(server, "/api/v1/releases", body, token).status_code == 208  # idempotent

    # Pages of one.
    _post(server, "/api/v1/releases", {"project": "backend", "version": "2.0.1"}, token)
    page = server.api_json("/api/v1/projects/backend/releases", limit=1)
    assert [r["version"] for r in page["data"]] == ["2.0.1"]  # same time: the later one first
    rest = server.api_json("/api/v1/projects/backend/releases", limit=1, cursor=page["next_cursor"])
    assert [r["version"] for r in rest["data"]] == ["2.0.0"] and rest["next_cursor"] is None


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"version": "1.0.0"}, 422, "give 'project'"),
        ({"project": "backend", "projects": ["backend"], "version": "1"}, 422, "give 'project'"),
        ({"projects": ["backend", "backend"], "version": "1"}, 422, "twice"),
        ({"projects": [], "version": "1"}, 422, "at least 1"),
        ({"project": "backend"}, 422, "version"),
        ({"project": "backend", "version": ""}, 422, "1 to 250"),
        ({"project": "backend", "version": "x" * 251}, 422, "1 to 250"),
        ({"project": "backend", "version": "feature/login"}, 422, "'/'"),
        ({"project": "backend", "version": " 1.0"}, 422, "whitespace"),
        ({"project": "backend", "version": "1.0\n"}, 422, "whitespace"),
        ({"project": "backend", "version": "1\x00"}, 422, "control"),
        ({"project": "backend", "version": "latest"}, 422, "usable"),
        ({"project": "backend", "version": "1", "commit": "a b"}, 422, "commit"),
        ({"project": "backend", "version": "1", "url": "javascript:x"}, 422, "url"),
        ({"project": "backend", "version": "1", "owner": "me"}, 422, "owner"),
        ({"project": "nope", "version": "1"}, 404, "no project 'nope'"),
        ({"project": "backend", "version": 1}, 422, "version"),
    ],
)
def test_bad_release_input(server: LiveServer, body: Any, status: int, says: str) -> None:
    response = _post(server, "/api/v1/releases", body, _writer(server))
    assert response.status_code == status, response.text
    assert says in response.text


def test_release_conflicts_and_scopes(server: LiveServer) -> None:
    token = _writer(server)
    body = {"project": "backend", "version": "1.0.0", "commit": "abc"}
    assert _post(server, "/api/v1/releases", body, token).status_code == 201
    clash = _post(server, "/api/v1/releases", {**body, "commit": "def"}, token)
    assert clash.status_code == 409 and "already exists with commit 'abc'" in clash.text
    # The seeded token reads but lacks project:releases.
    denied = _post(server, "/api/v1/releases", body, server.token)
    assert denied.status_code == 403 and "project:releases" in denied.text
    reader = server.admin_token(["event:read"])
    assert server.api("/api/v1/projects/backend/releases", token=reader).status_code == 403
    missing = server.api("/api/v1/projects/backend/releases/9.9.9")
    assert missing.status_code == 404 and "no release '9.9.9'" in missing.text
    bad_cursor = server.api("/api/v1/projects/backend/releases", cursor="!!")
    assert bad_cursor.status_code == 400
    assert server.api("/api/v1/projects/backend/releases", limit=0).status_code == 422


@pytest.mark.parametrize(
    ("version", "body", "status", "says"),
    [
        ("9.9.9", {"environment": "production"}, 404, "no release"),
        ("1.0.0", {}, 422, "environment"),
        ("1.0.0", {"environment": ""}, 422, "1 to 64"),
        ("1.0.0", {"environment": "x" * 65}, 422, "1 to 64"),
        ("1.0.0", {"environment": "prod/eu"}, 422, "'/'"),
        ("1.0.0", {"environment": "prod", "deployed_at": "yesterday"}, 400, "ISO 8601"),
        ("1.0.0", {"environment": "prod", "deployed_at": T0 + 86400}, 400, "future"),
        ("1.0.0", {"environment": "prod", "deployed_at": -5}, 400, "1970"),
        ("1.0.0", {"environment": "prod", "name": "x"}, 422, "name"),
    ],
)
def test_bad_deploy_input(
    server: LiveServer, version: str, body: Any, status: int, says: str
) -> None:
    token = _writer(server)
    created = _post(server, "/api/v1/releases", {"project": "backend", "version": "1.0.0"}, token)
    assert created.status_code == 201
    path = f"/api/v1/projects/backend/releases/{version}/deploys"
    response = _post(server, path, body, token)
    assert response.status_code == status, response.text
    assert says in response.text


def test_duplicate_deploy_is_a_conflict(server: LiveServer) -> None:
    token = _writer(server)
    _post(server, "/api/v1/releases", {"project": "backend", "version": "1.0.0"}, token)
    path = "/api/v1/projects/backend/releases/1.0.0/deploys"
    body = {"environment": "production", "deployed_at": T0 - 60}
    assert _post(server, path, body, token).status_code == 201
    again = _post(server, path, body, token)
    assert again.status_code == 409 and "already recorded" in again.text
    assert _post(server, path, {**body, "environment": "staging"}, token).status_code == 201
    assert len(wait_for(lambda: server.api_json(path)["data"])) == 2

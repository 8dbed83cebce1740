"""/admin/projects and /admin/projects/{slug}/keys through HTTP, and ingest refusing a
revoked key at once (through the real envelope endpoint)."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import httpx
import orjson
import pytest

from faultbox.ingest import keys as key_cache
from faultbox.store import migrate
from faultbox.store.admin_keys import project_keys_of, set_key_active
from faultbox.store.db import open_engine, read_connection, write_transaction
from faultbox.store.projects import get_project
from tests.support import LiveServer, seed
from tests.web.admin_client import admin, close_browsers, person, sign_in

__all__ = ["close_browsers"]  # the autouse fixture
_KEY_ACTION = re.compile(r'action="/admin/projects/[^/]+/keys/(\d+)/(revoke|rotate)"')


def _send(server: LiveServer, public_key: str, project_id: int) -> httpx.Response:
    event_id = uuid.uuid4().hex
    body = b"\n".join(
        [
            orjson.dumps({"event_id": event_id}),
            b'{"type":"event"}',
            orjson.dumps({"event_id": event_id, "message": "hello", "level": "error"}),
        ]
    )
    auth = f"Sentry sentry_key={public_key}, sentry_version=7"
    return httpx.post(
        f"{server.url}/api/{project_id}/envelope/",
        content=body,
        headers={"X-Sentry-Auth": auth},
        timeout=10,
    )


def test_create_a_project_then_onboarding(live_server: LiveServer) -> None:
    browser = admin(live_server)
    page = browser.get("/admin/projects")
    assert live_server.dsn in page.text
    created = browser.post("/admin/projects", {"name": "Web Shop", "team": "default"})
    assert created.status_code == 303
    assert created.headers["location"] == "/projects/web-shop/onboarding"
    assert "Web Shop" in browser.get("/admin/projects").text
    duplicate = browser.post("/admin/projects", {"name": "web shop", "team": "default"})
    assert duplicate.status_code == 409 and "already exists" in duplicate.text
    for form, message in [
        ({"name": "", "team": "default"}, "1 to 200"),
        ({"name": "x" * 201, "team": "default"}, "1 to 200"),
        ({"name": "???", "team": "default"}, "no letters or digits"),
        ({"name": "Fine", "team": "no-such-team"}, "Choose one of your teams"),
    ]:
        response = browser.post("/admin/projects", form)
        assert response.status_code == 400 and message in response.text, form


def test_who_may_create_projects(sqlite_server: LiveServer) -> None:
    engine = sqlite_server.engine
    person(engine, "lead@example.com", role="admin")
    person(engine, "member@example.com", role="member")
    person(engine, "stranger@example.com", role="owner", team="elsewhere")
    lead = sign_in(sqlite_server, "lead@example.com")
    assert lead.post("/admin/projects", {"name": "Lead's", "team": "default"}).status_code == 303
    member = sign_in(sqlite_server, "member@example.com")
    assert "New project" not in member.get("/admin/projects").text
    assert member.post("/admin/projects", {"name": "Nope", "team": "default"}).status_code == 403
    stranger = sign_in(sqlite_server, "stranger@example.com")
    # Another team's project is not listed, and its team is not the stranger's to use.
    assert "backend" not in stranger.get("/admin/projects").text
    refused = stranger.post("/admin/projects", {"name": "Intruder", "team": "default"})
    assert refused.status_code == 400
    with read_connection(engine) as conn:
        assert get_project(conn, "lead-s").name == "Lead's"


def test_keys_create_revoke_rotate_and_ingest_refuses_at_once(live_server: LiveServer) -> None:
    project = live_server.project
    browser = admin(live_server)
    page = browser.get(f"/admin/projects/{project.slug}/keys")
    assert page.status_code == 200 and live_server.dsn in page.text
    assert (
        browser.post(f"/admin/projects/{project.slug}/keys", {"label": "mobile"}).status_code == 303
    )
    with read_connection(live_server.engine) as conn:
        keys = project_keys_of(conn, project.id)
    mobile = next(k for k in keys if k.label == "mobile")
    assert _send(live_server, mobile.public_key, project.id).status_code == 200
    # Warm the ingest key cache, revoke, and the very next event is refused.
    assert _send(live_server, mobile.public_key, project.id).status_code == 200
    revoked = browser.post(f"/admin/projects/{project.slug}/keys/{mobile.id}/revoke")
    assert revoked.status_code == 303
    refused = _send(live_server, mobile.public_key, project.id)
    assert refused.status_code == 403 and "revoked" in refused.text
    # The other key still works; rotating it swaps it for a new one.
    assert project.public_key
    default = next(k for k in keys if k.public_key == project.public_key)
    assert _send(live_server, default.public_key, project.id).status_code == 200
    rotated = browser.post(f"/admin/projects/{project.slug}/keys/{default.id}/rotate")
    assert rotated.status_code == 303
    assert _send(live_server, default.public_key, project.id).status_code == 403
    with read_connection(live_server.engine) as conn:
        now_active = [k for k in project_keys_of(conn, project.id) if k.is_active]
        assert len(now_active) == 1 and now_active[0].label == default.label
        new_dsn_key = get_project(conn, project.slug).public_key
    assert new_dsn_key == now_active[0].public_key
    assert _send(live_server, now_active[0].public_key, project.id).status_code == 200
    listed = browser.get(f"/admin/projects/{project.slug}/keys").text
    assert listed.count("revoked") >= 2 and now_active[0].public_key in listed
    # Revoked keys cannot be rotated again; unknown ids and labels too long are refused.
    again = browser.post(f"/admin/projects/{project.slug}/keys/{default.id}/rotate")
    assert again.status_code == 409
    assert browser.post(f"/admin/projects/{project.slug}/keys/99999/revoke").status_code == 404
    long_label = browser.post(f"/admin/projects/{project.slug}/keys", {"label": "x" * 201})
    assert long_label.status_code == 400


def test_key_pages_by_role(sqlite_server: LiveServer) -> None:
    engine = sqlite_server.engine
    slug = sqlite_server.project.slug
    person(engine, "viewer@example.com", role="viewer")
    person(engine, "member@example.com", role="member")
    person(engine, "stranger@example.com", role="owner", team="elsewhere")
    with read_connection(engine) as conn:
        key_id = project_keys_of(conn, sqlite_server.project.id)[0].id
    for email in ("viewer@example.com", "member@example.com"):
        browser = sign_in(sqlite_server, email)
        page = browser.get(f"/admin/projects/{slug}/keys")
        assert (
            page.status_code == 200 and "Revoke" not in page.text and "may not change" in page.text
        )
        assert browser.post(f"/admin/projects/{slug}/keys", {"label": "x"}).status_code == 403
        assert browser.post(f"/admin/projects/{slug}/keys/{key_id}/revoke").status_code == 403
        assert browser.post(f"/admin/projects/{slug}/keys/{key_id}/rotate").status_code == 403
    stranger = sign_in(sqlite_server, "stranger@example.com")
    assert stranger.get(f"/admin/projects/{slug}/keys").status_code == 404
    assert stranger.post(f"/admin/projects/{slug}/keys/{key_id}/revoke").status_code == 404
    with read_connection(engine) as conn:
        assert all(k.is_active for k in project_keys_of(conn, sqlite_server.project.id))


def test_another_process_sees_a_revocation_within_the_cache_ttl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server process that did not revoke the key (so did not clear its cache) refuses
    it once the cached entry expires: the bound is the cache's TTL."""
    engine = open_engine(f"sqlite:///{tmp_path / 'keys.sqlite3'}")
    migrate.upgrade(engine)
    project, _ = seed(engine, "http://127.0.0.1:1")
    public_key = project.public_key
    assert public_key
    cache = key_cache.KeyCache(engine)
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])  # no server runs in this test
    info = cache.lookup(public_key)
    assert info is not None and info.active
    with write_transaction(engine) as conn:
        set_key_active(conn, project_keys_of(conn, project.id)[0].id, False)
    now[0] += key_cache._TTL - 0.5
    cached = cache.lookup(public_key)
    assert cached is not None and cached.active  # still inside the bound
    now[0] += 1.0
    expired = cache.lookup(public_key)
    assert expired is not None and not expired.active
    engine.dispose()

"""/projects/{slug}/releases end to end: newest first with deploys and counts, a version
with a slash, hostile versions escaped, pagination, and who may see them."""

from __future__ import annotations

import re
import time
import uuid
from urllib.parse import quote

from faultbox.store.db import write_transaction
from faultbox.store.releases import add_deploy, create_release, get_release
from tests.support import LiveServer
from tests.web._signin import PASSWORD, add_user, other_team_project, sign_in

SLASHED = "web/2.0.1"
HOSTILE = "<img src=x onerror=alert(1)>"


def _event(release: str, kind: str) -> dict[str, object]:
    return {
        "platform": "python",
        "level": "error",
        "timestamp": time.time() - 30,
        "release": release,
        "environment": "production",
        "exception": {"values": [{"type": kind, "value": "boom"}]},
    }


def _seed(server: LiveServer) -> None:
    server.send_event(uuid.uuid4().hex, _event(SLASHED, "SlashError"))
    server.send_event(uuid.uuid4().hex, _event(HOSTILE, "HostileError"))
    server.wait_events(2)
    with write_transaction(server.engine) as conn:
        release = get_release(conn, server.project.id, SLASHED)
        assert release is not None
        add_deploy(
            conn,
            release["id"],
            environment="<b>prod</b>",
            deployed_at=time.time() - 10,
            now=time.time(),
        )


def test_releases_list_and_detail(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    _seed(server)
    slug = server.project.slug
    with sign_in(server) as client:
        page = client.get(f"/projects/{slug}/releases")
        assert page.status_code == 200, page.text
        text = page.text
        assert text.count("data-release-row") == 2
        # Newest first (the hostile release was created by the later event).
        assert text.index("&lt;img src=x") < text.index(SLASHED)
        assert "<img src=x" not in text and "<b>prod</b>" not in text
        assert "&lt;b&gt;prod&lt;/b&gt;" in text
        assert f'href="/projects/{slug}/releases/web/2.0.1"' in text
        assert 'class="active">Releases' in re.sub(r'href="[^"]*" ', "", text)

        detail = client.get(f"/projects/{slug}/releases/{SLASHED}")
        assert detail.status_code == 200, detail.text
        assert f"Release {SLASHED}" in detail.text
        assert "SlashError" in detail.text and "HostileError" not in detail.text
        assert re.search(r'<a href="/issues/\d+">ERR-\d+</a>', detail.text)
        assert "&lt;b&gt;prod&lt;/b&gt;" in detail.text and "Deploys (1)" in detail.text

        hostile = client.get(f"/projects/{slug}/releases/{quote(HOSTILE, safe='')}")
        assert hostile.status_code == 200
        assert "<img src=x" not in hostile.text and "HostileError" in hostile.text

        assert client.get(f"/projects/{slug}/releases/nope/1").status_code == 404
        assert client.get(f"/projects/{slug}/releases?cursor=garbage").status_code == 400
        assert client.get(f"/projects/{slug}/releases?cursor=" + "x" * 300).status_code == 422


def test_pagination(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    with write_transaction(server.engine) as conn:
        for n in range(30):
            create_release(
                conn, server.project.id, f"shop@1.{n}.0", commit=None, url=None, now=1000.0 + n
            )
    with sign_in(server) as client:
        first = client.get(f"/projects/{server.project.slug}/releases")
        assert first.text.count("data-release-row") == 25
        assert "shop@1.29.0" in first.text and "shop@1.4.0" not in first.text
        older = re.search(r'href="([^"]+\?cursor=[^"]+)">Older', first.text)
        assert older
        second = client.get(older.group(1).replace("&amp;", "&"))
        assert second.status_code == 200
        assert second.text.count("data-release-row") == 5
        assert "shop@1.4.0" in second.text and "shop@1.0.0" in second.text
        assert "Older" not in second.text and "Newest" in second.text


def test_access(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    hidden = other_team_project(server)
    with write_transaction(server.engine) as conn:
        create_release(conn, hidden.id, "secret@1.0", commit=None, url=None, now=time.time())
    add_user(server, "viewer@example.com", "viewer")
    with sign_in(server, "viewer@example.com", PASSWORD) as client:
        assert client.get(f"/projects/{server.project.slug}/releases").status_code == 200
        assert client.get(f"/projects/{hidden.slug}/releases").status_code == 404
        assert client.get(f"/projects/{hidden.slug}/releases/secret@1.0").status_code == 404
        assert client.get("/projects/no-such-project/releases").status_code == 404

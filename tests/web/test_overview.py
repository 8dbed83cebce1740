"""/overview end to end: the landing redirect, quick stats, charts with deploy markers,
top lists, the empty state, and who may see which project."""

from __future__ import annotations

import time
import uuid

from faultbox.store.db import write_transaction
from faultbox.store.releases import add_deploy, get_release
from tests.support import LiveServer
from tests.web._signin import PASSWORD, add_user, other_team_project, sign_in

HOSTILE_SERVICE = "<script>alert('svc')</script>"
HOSTILE_RELEASE = "<img src=x onerror=alert(1)>"


def _event(**extra: object) -> dict[str, object]:
    event: dict[str, object] = {
        "platform": "python",
        "level": "error",
        "timestamp": time.time() - 60,
        "exception": {"values": [{"type": "ValueError", "value": "bad input"}]},
    }
    event.update(extra)
    return event


def _send(server: LiveServer) -> None:
    server.send_event(
        uuid.uuid4().hex,
        _event(
            release=HOSTILE_RELEASE,
            environment="production",
            tags={"service": HOSTILE_SERVICE},
            user={"id": "user-42"},
        ),
    )
    server.send_event(
        uuid.uuid4().hex,
        _event(
            release="shop@1.0.0",
            environment="staging",
            tags={"service": "api"},
            exception={"values": [{"type": "KeyError", "value": "'sku'"}]},
            user={"id": "user-42"},
        ),
    )
    server.wait_events(2)
    with write_transaction(server.engine) as conn:
        release = get_release(conn, server.project.id, HOSTILE_RELEASE)
        assert release is not None
        add_deploy(
            conn,
            release["id"],
            environment="production",
            deployed_at=time.time() - 1800,
            now=time.time(),
        )


def test_root_redirects_by_sign_in(sqlite_server: LiveServer) -> None:
    import httpx

    anonymous = httpx.get(sqlite_server.url + "/", headers={"accept": "text/html"})
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login"
    with sign_in(sqlite_server) as client:
        signed = client.get("/")
        assert signed.status_code == 303 and signed.headers["location"] == "/overview"
        # Signing in lands on the overview (the login's default next is /).
        assert client.get("/overview").status_code == 200


def test_empty_project_links_to_onboarding(sqlite_server: LiveServer) -> None:
    with sign_in(sqlite_server) as client:
        page = client.get("/overview")
        assert page.status_code == 200
        assert "data-empty-overview" in page.text
        assert f'href="/projects/{sqlite_server.project.slug}/onboarding"' in page.text
        assert 'class="active">Overview' in page.text.replace('href="/overview" ', "")


def test_overview_with_events(live_server: LiveServer) -> None:
    server = live_server
    _send(server)
    with sign_in(server) as client:
        for period in ("24h", "7d", "30d"):
            page = client.get("/overview", params={"period": period})
            assert page.status_code == 200, page.text
            text = page.text
            assert "data-empty-overview" not in text
            for heading in ("Active issues", "P0 open", "Resolved in 30d", "MTTR (30d)"):
                assert heading in text
            assert text.count("<svg") >= 3
            assert "ValueError" in text and "KeyError" in text  # top errors
            assert "user-42" in text  # most affected users
            # Hostile names from events are escaped wherever they appear (legend, deploy).
            assert "<script>alert" not in text and "<img src=x" not in text
            assert "&lt;script&gt;alert(&#39;svc&#39;)&lt;/script&gt;" in text
            assert 'class="deploy"' in text
            assert "&lt;img src=x onerror=alert(1)&gt; → production" in text
        # New issues today link to the issue pages.
        assert '<a href="/issues/' in text
        staging = client.get("/overview", params={"environment": "staging", "period": "24h"})
        assert staging.status_code == 200
        assert '<option value="staging" selected>' in staging.text
        # The deploy went to production: no marker when looking at staging.
        assert 'class="deploy"' not in staging.text


def test_bad_parameters(sqlite_server: LiveServer) -> None:
    with sign_in(sqlite_server) as client:
        assert client.get("/overview", params={"period": "5y"}).status_code == 400
        assert client.get("/overview", params={"project": "x" * 65}).status_code == 422
        assert client.get("/overview", params={"environment": "e" * 500}).status_code == 422
        assert client.get("/overview", params={"project": "nope"}).status_code == 404


def test_viewer_sees_own_team_only(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    hidden = other_team_project(server)
    add_user(server, "viewer@example.com", "viewer")
    with sign_in(server, "viewer@example.com", PASSWORD) as client:
        mine = client.get("/overview")
        assert mine.status_code == 200
        assert server.project.name in mine.text and hidden.name not in mine.text
        assert client.get("/overview", params={"project": hidden.slug}).status_code == 404
        # The superuser sees both.
        with sign_in(server) as admin:
            assert admin.get("/overview", params={"project": hidden.slug}).status_code == 200


def test_user_without_projects(sqlite_server: LiveServer) -> None:
    add_user(sqlite_server, "loner@example.com", "member", team="empty-team")
    with sign_in(sqlite_server, "loner@example.com", PASSWORD) as client:
        page = client.get("/overview")
        assert page.status_code == 200 and "not in a team with a project" in page.text

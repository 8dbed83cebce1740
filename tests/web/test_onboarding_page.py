"""The projects list and onboarding: DSN, snippets, and the first-event panel."""

from __future__ import annotations

import uuid

import httpx

from tests.support import LiveServer
from tests.web._signin import other_team_project
from tests.web.admin_client import admin, close_browsers, person, sign_in  # noqa: F401


def test_onboarding_shows_dsn_snippets_and_waits(sqlite_server: LiveServer) -> None:
    browser = admin(sqlite_server)
    slug = sqlite_server.project.slug
    page = browser.get(f"/projects/{slug}/onboarding")
    assert page.status_code == 200
    assert sqlite_server.dsn in page.text
    for snippet in ("sentry_sdk.init", "faultbox_sdk.init", "@sentry/browser", "@sentry/node"):
        assert snippet in page.text
    assert f"X-Faultbox-Key: {sqlite_server.project.public_key}" in page.text
    assert "data-waiting" in page.text and "every 2s" in page.text

    fragment = browser.client.get(f"/projects/{slug}/onboarding/first-event")
    assert "data-waiting" in fragment.text and "<html" not in fragment.text

    sqlite_server.send_event(uuid.uuid4().hex, {"message": "hello from onboarding"})
    sqlite_server.wait_events(1)
    arrived = browser.client.get(f"/projects/{slug}/onboarding/first-event")
    assert "data-first-issue" in arrived.text and "hello from onboarding" in arrived.text
    assert "data-waiting" not in arrived.text  # the polling stops


def test_projects_list_is_per_team(sqlite_server: LiveServer) -> None:
    hidden = other_team_project(sqlite_server)
    everything = admin(sqlite_server).get("/projects").text
    assert f'data-project="{hidden.slug}"' in everything  # a superuser sees all
    person(sqlite_server.engine, "viewer@example.com", role="viewer")
    viewer = sign_in(sqlite_server, "viewer@example.com")
    mine = viewer.get("/projects").text
    assert f'data-project="{sqlite_server.project.slug}"' in mine
    assert f'data-project="{hidden.slug}"' not in mine
    assert viewer.get(f"/projects/{hidden.slug}/onboarding").status_code == 404
    assert viewer.get(f"/projects/{hidden.slug}/onboarding/first-event").status_code == 404

    person(sqlite_server.engine, "nobody@example.com")
    assert (
        "no team with a project"
        in sign_in(sqlite_server, "nobody@example.com").get("/projects").text
    )


def test_pages_need_a_session(sqlite_server: LiveServer) -> None:
    slug = sqlite_server.project.slug
    for path in ("/projects", f"/projects/{slug}/onboarding", f"/projects/{slug}/issues"):
        response = httpx.get(sqlite_server.url + path, headers={"accept": "text/html"})
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")
    htmx = httpx.get(
        sqlite_server.url + f"/projects/{slug}/onboarding/first-event",
        headers={"hx-request": "true"},
    )
    assert htmx.status_code == 401 and htmx.headers["hx-redirect"].startswith("/login")

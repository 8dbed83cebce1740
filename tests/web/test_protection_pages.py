"""The dashboard's protection pages through HTTP: the limits and sampling page (forms,
validation, who may change what), drops shown with their reasons on the overview, and
the issue page's discard button."""

from __future__ import annotations

import time
import uuid

import httpx
import orjson

from faultbox import clock
from faultbox.store.db import read_connection
from faultbox.store.protection import key_limits_of, project_protection
from tests.support import LiveServer, wait_for
from tests.web._signin import other_team_project
from tests.web.admin_client import admin, close_browsers, person, sign_in

__all__ = ["close_browsers"]  # the autouse fixture


def _envelope(server: LiveServer, message: str = "checkout failed") -> int:
    body = b"\n".join(
        [
            orjson.dumps({"event_id": uuid.uuid4().hex}),
            b'{"type":"event"}',
            orjson.dumps(
                {
                    "level": "error",
                    "timestamp": time.time() - 60,
                    "exception": {"values": [{"type": "RuntimeError", "value": message}]},
                }
            ),
        ]
    )
    answer = server.post(f"/api/{server.project.id}/envelope/", body, server.auth_header())
    return answer.status_code


def test_key_limit_set_on_the_page_refuses_the_next_event_and_shows_the_drop(
    live_server: LiveServer,
) -> None:
    server = live_server
    slug = server.project.slug
    clock.pin(float(int(time.time()) // 60 * 60 + 10))
    try:
        browser = admin(server)
        page = browser.get(f"/admin/projects/{slug}/protection")
        assert page.status_code == 200 and "data-no-drops" in page.text
        with read_connection(server.engine) as conn:
            key = key_limits_of(conn, server.project.id)[0]
        path = f"/admin/projects/{slug}/protection/keys/{key.id}"
        for bad, message in (
            ("-1", "whole number from 0 to 100,000,000"),
            ("1.5", "whole number"),
            ("ten", "whole number"),
            ("100000001", "whole number from 0 to 100,000,000"),
            ("9" * 40, "whole number"),
        ):
            refused = browser.post(path, {"per_minute": bad, "per_day": ""})
            assert refused.status_code == 400 and message in refused.text, bad
        saved = browser.post(path, {"per_minute": "1", "per_day": ""})
        assert saved.status_code == 303
        with read_connection(server.engine) as conn:
            key = key_limits_of(conn, server.project.id)[0]
        assert (key.rate_limit_per_minute, key.quota_per_day) == (1, None)

        assert _envelope(server) == 200
        assert _envelope(server) == 429
        server.wait_events(1)

        def drop_shown() -> bool:
            text = browser.get(f"/overview?project={slug}").text
            return 'data-drop="rate_limited:key_rate_limit"' in text

        wait_for(drop_shown)
        overview = browser.get(f"/overview?project={slug}").text
        assert "key&#39;s rate limit per minute" in overview
        page = browser.get(f"/admin/projects/{slug}/protection").text
        assert 'data-drop="rate_limited:key_rate_limit"' in page
        assert "1 accepted, 1 dropped" in page
        assert browser.get(f"/admin/projects/{slug}/keys").text.count("/protection") == 1
    finally:
        clock.pin(None)


def test_sampling_form_and_who_may_change_it(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    slug = server.project.slug
    browser = admin(server)
    path = f"/admin/projects/{slug}/protection"
    for bad in ("1.5", "-0.1", "150%", "half", "nan"):
        refused = browser.post(path, {"sample_rate": bad, "spike_protection": "1"})
        assert refused.status_code == 400 and "sample rate" in refused.text.lower(), bad
    assert browser.post(path, {"sample_rate": "25%"}).status_code == 303  # box unticked
    with read_connection(server.engine) as conn:
        saved = project_protection(conn, server.project.id)
    assert (saved.sample_rate, saved.spike_protection) == (0.25, False)
    assert 'value="0.25"' in browser.get(path).text

    person(server.engine, "dev@example.com", role="member")
    member = sign_in(server, "dev@example.com")
    shown = member.get(path)
    assert shown.status_code == 200 and "Your role may not change these." in shown.text
    assert member.post(path, {"sample_rate": "1"}).status_code == 403
    with read_connection(server.engine) as conn:
        key = key_limits_of(conn, server.project.id)[0]
    key_path = f"{path}/keys/{key.id}"
    assert member.post(key_path, {"per_minute": "5"}).status_code == 403
    other = other_team_project(server)
    assert member.get(f"/admin/projects/{other.slug}/protection").status_code == 404
    with read_connection(server.engine) as conn:
        other_key = key_limits_of(conn, other.id)[0]
    assert browser.post(f"{path}/keys/{other_key.id}", {"per_minute": "5"}).status_code == 404
    with read_connection(server.engine) as conn:
        assert key_limits_of(conn, other.id)[0].rate_limit_per_minute is None


def test_discard_button_on_the_issue_page(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    assert _envelope(server) == 200
    server.wait_events(1)
    issue_id = server.issues()[0]["id"]
    browser = admin(server)
    page = browser.get(f"/issues/{issue_id}").text
    assert "data-discard-form" in page and "data-discarded" not in page
    answer = browser.post(f"/issues/{issue_id}/discard", {"discard": "1"})
    assert answer.status_code == 303
    page = browser.get(f"/issues/{issue_id}").text
    assert "data-discarded" in page and "Store new events again" in page
    assert "discard events: stored → discarded" in page  # the activity log
    assert _envelope(server) == 200
    wait_for(lambda: server.api_json(f"/api/v1/issues/{issue_id}")["count"] == 2)
    assert server.event_count() == 1
    assert browser.post(f"/issues/{issue_id}/discard", {"discard": "x"}).status_code == 400
    assert browser.post(f"/issues/{issue_id}/discard", {"discard": "0"}).status_code == 303
    assert "data-discarded" not in browser.get(f"/issues/{issue_id}").text

    person(server.engine, "viewer@example.com", role="viewer")
    viewer = sign_in(server, "viewer@example.com")
    assert "data-discard-form" not in viewer.get(f"/issues/{issue_id}").text
    assert viewer.post(f"/issues/{issue_id}/discard", {"discard": "1"}).status_code == 403
    assert httpx.post(f"{server.url}/issues/{issue_id}/discard").status_code in (401, 403)

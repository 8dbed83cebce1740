"""/account/tokens through HTTP: own tokens only, scopes within the roles, shown once."""

from __future__ import annotations

import re

import httpx

from tests.support import LiveServer
from tests.web.admin_client import admin, close_browsers, person, sign_in

__all__ = ["close_browsers"]  # the autouse fixture
_TOKEN = re.compile(r'<pre id="new-token">([^<]+)</pre>')


def test_create_use_list_and_revoke_a_token(sqlite_server: LiveServer) -> None:
    person(sqlite_server.engine, "dev@example.com", role="member")
    dev = sign_in(sqlite_server, "dev@example.com")
    response = dev.post(
        "/account/tokens", {"label": "ci script", "scopes": ["project:read", "event:read"]}
    )
    assert response.status_code == 200
    token = _TOKEN.search(response.text)
    assert token and token.group(1).startswith("fbt_")
    assert response.headers["cache-control"] == "no-store"
    # Shown once: the list shows the label and scopes, never the token.
    listed = dev.get("/account/tokens").text
    assert "ci script" in listed and "event:read project:read" in listed
    assert token.group(1) not in listed and "never" in listed
    # The token works against the API, and its use is recorded.
    api = sqlite_server.api("/api/v1/projects", token=token.group(1))
    assert api.status_code == 200
    assert "never" not in dev.get("/account/tokens").text
    token_id = re.search(r'action="/account/tokens/(\d+)/revoke"', listed)
    assert token_id
    # Someone else cannot revoke it.
    other = admin(sqlite_server)
    assert other.post(f"/account/tokens/{token_id.group(1)}/revoke").status_code == 404
    assert dev.post(f"/account/tokens/{token_id.group(1)}/revoke").status_code == 303
    assert sqlite_server.api("/api/v1/projects", token=token.group(1)).status_code == 401
    assert "ci script" not in dev.get("/account/tokens").text


def test_scopes_are_limited_to_the_roles(sqlite_server: LiveServer) -> None:
    person(sqlite_server.engine, "viewer@example.com", role="viewer")
    viewer = sign_in(sqlite_server, "viewer@example.com")
    page = viewer.get("/account/tokens").text
    assert 'value="project:read"' in page and 'value="project:write"' not in page
    beyond = viewer.post("/account/tokens", {"label": "sneaky", "scopes": ["project:admin"]})
    assert beyond.status_code == 403 and "beyond" in beyond.text
    unknown = viewer.post("/account/tokens", {"label": "typo", "scopes": ["project:reed"]})
    assert unknown.status_code == 400 and "Unknown scope &#39;project:reed&#39;" in unknown.text
    assert viewer.post("/account/tokens", {"label": "none"}).status_code == 400
    assert (
        viewer.post("/account/tokens", {"label": "", "scopes": ["project:read"]}).status_code == 400
    )
    long_label = viewer.post("/account/tokens", {"label": "x" * 201, "scopes": ["project:read"]})
    assert long_label.status_code == 400
    assert "sneaky" not in viewer.get("/account/tokens").text


def test_tokens_need_a_session_and_the_csrf_token(sqlite_server: LiveServer) -> None:
    assert httpx.get(sqlite_server.url + "/account/tokens").status_code == 303
    browser = admin(sqlite_server)
    forged = httpx.post(
        sqlite_server.url + "/account/tokens",
        data={"label": "x", "scopes": ["project:read"]},
        cookies=browser.client.cookies,
    )
    assert forged.status_code == 403

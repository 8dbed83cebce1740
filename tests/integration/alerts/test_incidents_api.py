"""Incidents through the HTTP API on SQLite and PostgreSQL: the list (status filter,
keyset pages), one with its timeline, acknowledge (once; 409 when resolved) and
resolve, and who may: 401 without a token, 403 without the scope, 404 for another
team's incident."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from faultbox import clock
from faultbox.alerts import incidents
from faultbox.store.accounts import add_member, create_token, create_user, ensure_team
from faultbox.store.alert_deliveries import project_deliveries
from faultbox.store.db import read_connection, write_transaction
from tests.integration.alerts.incident_support import Paging, quiet_server
from tests.integration.alerts.rules_support import MIN, T0
from tests.support import LiveServer, password_hash
from tests.web._signin import other_team_project


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[LiveServer]:
    clock.pin(T0)
    with quiet_server(tmp_path, database_url) as live:
        yield live
    clock.pin(None)


def _client(server: LiveServer, scopes: list[str] | None) -> httpx.Client:
    headers = {}
    if scopes is not None:
        headers["Authorization"] = f"Bearer {server.admin_token(scopes)}"
    return httpx.Client(base_url=server.url + "/api/v1", headers=headers, timeout=20)


@pytest.fixture
def api(server: LiveServer) -> Iterator[httpx.Client]:
    with _client(server, ["alerts:read", "alerts:write"]) as client:
        yield client


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _paging(server: LiveServer) -> Paging:
    return Paging(server.engine, server.project.id, secret=server.settings.secret_key.value)


def test_list_newest_first_with_status_filter_and_keyset_pages(
    server: LiveServer, api: httpx.Client
) -> None:
    paging = _paging(server)
    ids = [paging.open_page(paging.issue(f"boom {i}"), [], T0 + i * MIN) for i in range(5)]
    with write_transaction(server.engine) as conn:
        incidents.resolve(conn, ids[1], now=T0 + 10 * MIN)
    slug = server.project.slug
    everything = _ok(api.get(f"/projects/{slug}/incidents"))
    assert [i["id"] for i in everything["data"]] == ids[::-1]
    assert everything["next_cursor"] is None
    first = everything["data"][0]
    assert first["status"] == "open" and first["severity"] == "P1"
    assert first["issue_short_id"].startswith("ERR-")
    assert first["opened_at"].endswith("Z")
    resolved = _ok(api.get(f"/projects/{slug}/incidents", params={"status": "resolved"}))
    assert [i["id"] for i in resolved["data"]] == [ids[1]]
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, "status": "open"}
        if cursor:
            params["cursor"] = cursor
        page = _ok(api.get(f"/projects/{slug}/incidents", params=params))
        seen += [i["id"] for i in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [ids[4], ids[3], ids[2], ids[0]]


@pytest.mark.parametrize(
    "params",
    [{"status": "closed"}, {"cursor": "not-a-cursor"}, {"cursor": "WyJ4IiwyXQ"}, {"limit": 0}],
)
def test_list_refuses_bad_parameters(
    server: LiveServer, api: httpx.Client, params: dict[str, Any]
) -> None:
    response = api.get(f"/projects/{server.project.slug}/incidents", params=params)
    assert response.status_code in (400, 422), response.text


def test_read_one_with_its_timeline(server: LiveServer, api: httpx.Client) -> None:
    paging = _paging(server)
    chat = paging.channel("team chat")
    incident_id = paging.open_page(paging.issue(), [chat], T0)
    found = _ok(api.get(f"/incidents/{incident_id}"))
    assert found["id"] == incident_id and found["status"] == "open"
    assert [(e["kind"], e["detail"]) for e in found["timeline"]] == [("opened", "by a test")]


def test_acknowledge_once_then_resolve_then_409(server: LiveServer, api: httpx.Client) -> None:
    paging = _paging(server)
    chat = paging.channel("team chat")
    incident_id = paging.open_page(paging.issue(), [chat], T0)
    done = _ok(api.post(f"/incidents/{incident_id}/acknowledge"))
    assert done["changed"] is True
    assert done["incident"]["status"] == "acknowledged"
    assert done["incident"]["acknowledged_by"] == "admin@example.com"
    assert done["incident"]["timeline"][-1]["detail"] == (
        "acknowledged by admin@example.com via api"
    )
    again = _ok(api.post(f"/incidents/{incident_id}/acknowledge"))
    assert again["changed"] is False
    with read_connection(server.engine) as conn:
        kinds = [d["kind"] for d in project_deliveries(conn, server.project.id)]
    assert sorted(kinds) == ["acknowledge", "trigger"]
    resolved = _ok(api.post(f"/incidents/{incident_id}/resolve"))
    assert resolved["changed"] is True and resolved["incident"]["status"] == "resolved"
    assert _ok(api.post(f"/incidents/{incident_id}/resolve"))["changed"] is False
    late = api.post(f"/incidents/{incident_id}/acknowledge")
    assert late.status_code == 409 and "resolved" in late.json()["detail"]


def test_tokens_and_teams(server: LiveServer) -> None:
    paging = _paging(server)
    incident_id = paging.open_page(paging.issue(), [], T0)
    foreign = Paging(server.engine, other_team_project(server).id)
    foreign_id = foreign.open_page(foreign.issue(), [], T0)
    with _client(server, None) as anonymous:
        assert anonymous.get(f"/incidents/{incident_id}").status_code == 401
        assert anonymous.post(f"/incidents/{incident_id}/acknowledge").status_code == 401
    with _client(server, ["project:read"]) as reader:
        assert reader.get(f"/incidents/{incident_id}").status_code == 403
    with _client(server, ["event:read"]) as reader:
        assert reader.get(f"/incidents/{incident_id}").status_code == 200
        assert reader.post(f"/incidents/{incident_id}/acknowledge").status_code == 403
        assert reader.post(f"/incidents/{incident_id}/resolve").status_code == 403
    with _client(server, ["event:read", "event:write"]) as member:
        assert member.post(f"/incidents/{incident_id}/acknowledge").status_code == 200
    # The seeded admin is a superuser (sees every team): a member of the default team.
    with write_transaction(server.engine) as conn:
        user = create_user(
            conn, email="dev@example.com", password_hash=password_hash("x" * 12), is_superuser=False
        )
        add_member(conn, team_id=ensure_team(conn, "default"), user_id=user.id, role="member")
        token = create_token(conn, user_id=user.id, scopes=["alerts:read", "alerts:write"])
    with httpx.Client(
        base_url=server.url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=20
    ) as dev:
        assert dev.get(f"/incidents/{incident_id}").status_code == 200
        assert dev.get(f"/incidents/{foreign_id}").status_code == 404
        assert dev.post(f"/incidents/{foreign_id}/acknowledge").status_code == 404
        assert dev.post(f"/incidents/{foreign_id}/resolve").status_code == 404
        assert dev.get("/projects/secret-shop/incidents").status_code == 404
        assert dev.get("/incidents/999999").status_code == 404
        assert dev.get("/incidents/0").status_code == 422
    assert foreign.incident(foreign_id).status == "open"

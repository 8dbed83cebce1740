"""The protection API with bad input and the wrong caller, per-project sampling, and
discarding an issue's events, end to end against a live server."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from faultbox.store.accounts import create_token, get_user_by_email
from faultbox.store.admin_keys import project_keys_of
from faultbox.store.db import read_connection, write_transaction
from tests.support import LiveServer, wait_for
from tests.web._signin import add_user, other_team_project

ALL = ["project:read", "project:write", "project:admin", "event:read", "event:admin"]


def call(
    server: LiveServer, method: str, path: str, token: str | None, body: Any = None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.request(method, server.url + path, json=body, headers=headers, timeout=10)


def team_owner_token(server: LiveServer) -> str:
    """An owner of the default team (not a superuser, who would see every team)."""
    add_user(server, "lead@example.com", "owner")
    with write_transaction(server.engine) as conn:
        user = get_user_by_email(conn, "lead@example.com")
        return create_token(conn, user_id=user.id, scopes=ALL)


def key_path(server: LiveServer, key_id: int | None = None) -> str:
    if key_id is None:
        with read_connection(server.engine) as conn:
            key_id = project_keys_of(conn, server.project.id)[0].id
    return f"/api/v1/projects/{server.project.slug}/keys/{key_id}/limits"


@pytest.mark.parametrize(
    "body",
    [
        {"rate_limit_per_minute": -1},
        {"quota_per_day": -5},
        {"rate_limit_per_minute": 1.5},
        {"rate_limit_per_minute": "10"},
        {"rate_limit_per_minute": True},
        {"rate_limit_per_minute": 100_000_001},
        {"quota_per_day": 2_000_000_001},
        {"quota_per_day": 10**30},
        {"burst": 5},
        [],
    ],
)
def test_key_limits_refuse_what_is_not_a_small_non_negative_integer(
    sqlite_server: LiveServer, body: Any
) -> None:
    token = sqlite_server.admin_token(ALL)
    answer = call(sqlite_server, "PATCH", key_path(sqlite_server), token, body)
    assert answer.status_code == 422, answer.text
    keys = sqlite_server.api_json(f"/api/v1/projects/{sqlite_server.project.slug}/protection")
    assert keys["keys"][0]["rate_limit_per_minute"] is None  # nothing changed


def test_key_limits_are_set_reset_and_guarded(live_server: LiveServer) -> None:
    server = live_server
    token = team_owner_token(server)
    path = key_path(server)
    answer = call(server, "PATCH", path, token, {"rate_limit_per_minute": 600})
    assert answer.status_code == 200, answer.text
    assert answer.json()["rate_limit_per_minute"] == 600 and answer.json()["quota_per_day"] is None
    answer = call(server, "PATCH", path, token, {"quota_per_day": 2_000_000_000})
    assert (answer.json()["rate_limit_per_minute"], answer.json()["quota_per_day"]) == (
        600,
        2_000_000_000,
    )
    answer = call(server, "PATCH", path, token, {"rate_limit_per_minute": None})
    assert answer.json()["rate_limit_per_minute"] is None  # back to the server's default
    assert answer.json()["effective"] == {
        "rate_limit_per_minute": 0,
        "quota_per_day": 2_000_000_000,
    }

    assert call(server, "PATCH", path, None, {"quota_per_day": 1}).status_code == 401
    writer = server.admin_token(["project:read", "project:write"])
    assert call(server, "PATCH", path, writer, {"quota_per_day": 1}).status_code == 403
    # Another team's project and its key: not found, as if they did not exist.
    other = other_team_project(server)
    with read_connection(server.engine) as conn:
        other_key = project_keys_of(conn, other.id)[0].id
    assert call(server, "PATCH", key_path(server, other_key), token, {}).status_code == 404
    other_path = f"/api/v1/projects/{other.slug}/keys/{other_key}/limits"
    assert call(server, "PATCH", other_path, token, {}).status_code == 404
    for missing in (999_999, 0, -1, 2**70):
        assert call(server, "PATCH", key_path(server, missing), token, {}).status_code in (
            404,
            422,
        )
    assert call(server, "PATCH", key_path(server, 999_999), token, {}).status_code == 404
    # Beyond any database integer: still just "no such key", never a server error.
    assert call(server, "PATCH", key_path(server, 2**70), token, {}).status_code == 404
    with read_connection(server.engine) as conn:
        assert project_keys_of(conn, other.id)[0].id == other_key  # untouched


@pytest.mark.parametrize(
    "body",
    [
        {"sample_rate": 1.5},
        {"sample_rate": -0.1},
        {"sample_rate": "0.5"},
        {"sample_rate": True},
        {"spike_protection": "yes"},
        {"spike_protection": 1},
        {"retention": 5},
    ],
)
def test_protection_refuses_bad_values(sqlite_server: LiveServer, body: Any) -> None:
    token = sqlite_server.admin_token(ALL)
    path = f"/api/v1/projects/{sqlite_server.project.slug}/protection"
    assert call(sqlite_server, "PATCH", path, token, body).status_code == 422


def test_protection_needs_project_write_and_a_visible_project(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    path = f"/api/v1/projects/{server.project.slug}/protection"
    assert call(server, "PATCH", path, None, {"sample_rate": 0.5}).status_code == 401
    reader = server.admin_token(["project:read"])
    assert call(server, "GET", path, reader).status_code == 200
    assert call(server, "PATCH", path, reader, {"sample_rate": 0.5}).status_code == 403
    writer = server.admin_token(["project:read", "project:write"])
    answer = call(server, "PATCH", path, writer, {"spike_protection": None})
    assert answer.status_code == 400
    other = other_team_project(server)
    other_path = f"/api/v1/projects/{other.slug}/protection"
    owner = team_owner_token(server)
    assert call(server, "PATCH", other_path, owner, {"sample_rate": 0.5}).status_code == 404
    assert call(server, "GET", other_path, owner).status_code == 404
    answer = call(server, "PATCH", path, writer, {"sample_rate": 0})
    assert answer.status_code == 200 and answer.json()["sample_rate"] == 0.0
    assert answer.json()["spike_protection"]["enabled"] is True  # untouched
    answer = call(server, "PATCH", path, writer, {"sample_rate": None})
    assert answer.json()["sample_rate"] is None


# -- sampling -------------------------------------------------------------------------


def _set_sample_rate(server: LiveServer, rate: float | None) -> None:
    token = server.admin_token(ALL)
    path = f"/api/v1/projects/{server.project.slug}/protection"
    answer = call(server, "PATCH", path, token, {"sample_rate": rate})
    assert answer.status_code == 200, answer.text


def _stored(server: LiveServer, event_id: str) -> bool:
    return server.api(f"/api/v1/events/{event_id}").status_code == 200


def _filtered(server: LiveServer, reason: str) -> int:
    data = server.api_json("/api/v1/stats/outcomes", project=server.project.slug, period="24h")
    return sum(
        d["quantity"]
        for d in data["dropped"]
        if (d["outcome"], d["reason"]) == ("filtered", reason)
    )


def _event(n: int) -> dict[str, Any]:
    return {"message": f"sampled {n}", "level": "error"}


def test_sample_rate_zero_and_one(live_server: LiveServer) -> None:
    server = live_server
    _set_sample_rate(server, 0)
    dropped = [uuid.uuid4().hex for _ in range(3)]
    for n, event_id in enumerate(dropped):
        server.send_event(event_id, _event(n))  # still a 200: the SDK must not resend
    wait_for(lambda: _filtered(server, "sample_rate") == 3)
    _set_sample_rate(server, 1)
    kept = uuid.uuid4().hex
    server.send_event(kept, _event(9))
    server.wait_events(1)
    assert _stored(server, kept)
    assert not any(_stored(server, e) for e in dropped)
    assert server.event_count() == 1


def test_half_sampling_is_decided_by_the_event_id(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    _set_sample_rate(server, 0.5)
    ids = [uuid.uuid5(uuid.NAMESPACE_URL, f"faultbox-sampling-{n}").hex for n in range(40)]
    for n, event_id in enumerate(ids):
        server.send_event(event_id, _event(n))
    wait_for(lambda: server.event_count() + _filtered(server, "sample_rate") == 40)
    first = {e for e in ids if _stored(server, e)}
    assert 8 <= len(first) <= 32  # about half
    for n, event_id in enumerate(ids):  # a resend gets the same decision
        server.send_event(event_id, _event(n))
    wait_for(lambda: _filtered(server, "sample_rate") == 2 * (40 - len(first)))
    assert {e for e in ids if _stored(server, e)} == first
    assert server.event_count() == len(first)


# -- discard ----------------------------------------------------------------------------


def _crash(server: LiveServer) -> str:
    event_id = uuid.uuid4().hex
    event = {
        "level": "error",
        "exception": {"values": [{"type": "KeyError", "value": "'cart'"}]},
        "user": {"id": f"user-{event_id[:6]}"},
    }
    server.send_event(event_id, event)
    return event_id


def _issue(server: LiveServer, issue_id: int) -> dict[str, Any]:
    answer: dict[str, Any] = server.api_json(f"/api/v1/issues/{issue_id}")
    return answer


def test_discarded_issue_counts_events_without_storing_them(live_server: LiveServer) -> None:
    server = live_server
    first = _crash(server)
    server.wait_events(1)
    issue_id = server.issues()[0]["id"]
    admin = server.admin_token(ALL)
    discard = f"/api/v1/issues/{issue_id}/discard"

    assert call(server, "POST", discard, None).status_code == 401
    assert call(server, "POST", discard, server.token).status_code == 403  # event:write only
    answer = call(server, "POST", discard, admin)
    assert answer.status_code == 200, answer.text
    assert answer.json()["changed"] is True and answer.json()["issue"]["discarded_at"]
    assert call(server, "POST", discard, admin).json()["changed"] is False  # again: no change

    second, third = _crash(server), _crash(server)
    wait_for(lambda: _issue(server, issue_id)["count"] == 3)
    assert _issue(server, issue_id)["user_count"] == 3
    wait_for(lambda: _filtered(server, "discarded") == 2)
    assert server.event_count() == 1 and _stored(server, first)
    assert not _stored(server, second) and not _stored(server, third)

    answer = call(server, "DELETE", discard, admin)
    assert answer.json() == {**answer.json(), "changed": True}
    assert answer.json()["issue"]["discarded_at"] is None
    fourth = _crash(server)
    server.wait_events(2)
    assert _stored(server, fourth)
    assert _issue(server, issue_id)["count"] == 4
    kinds = [
        (a["kind"], a["old"], a["new"])
        for a in server.api_json(f"/api/v1/issues/{issue_id}/activity")["data"]
    ]
    assert kinds.count(("discard", "stored", "discarded")) == 1
    assert kinds.count(("discard", "discarded", "stored")) == 1

    assert call(server, "POST", "/api/v1/issues/999999/discard", admin).status_code == 404

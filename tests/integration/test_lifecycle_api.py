"""The status workflow, assignee, catalogue fields, bulk updates and comments through
PATCH /api/v1/issues/{id} and friends, with events from the real sentry-sdk."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sentry_sdk
from sqlalchemy import update

from faultbox import clock
from faultbox.store.accounts import add_member, create_token, create_user, ensure_team
from faultbox.store.db import write_transaction
from faultbox.store.schema import issues
from tests.support import LiveServer, password_hash, wait_for

T0 = 1_900_000_000.0


@pytest.fixture
def sdk(live_server: LiveServer) -> Iterator[LiveServer]:
    sentry_sdk.init(dsn=live_server.dsn, release="shop@1.0.0")
    clock.pin(T0)
    yield live_server
    clock.pin(None)
    sentry_sdk.get_client().close(timeout=5)


def checkout(n: int) -> None:
    raise RuntimeError(f"checkout {n} failed")


def refund(n: int) -> None:
    raise LookupError(f"refund {n} not found")


def _issues(server: LiveServer, *bugs: Any) -> list[dict[str, Any]]:
    for n, bug in enumerate(bugs):
        try:
            bug(n)
        except Exception:
            sentry_sdk.capture_exception()
    sentry_sdk.flush(timeout=10)
    server.wait_events(len(bugs))
    found: list[dict[str, Any]] = wait_for(
        lambda: len(server.issues()) == len(bugs) and server.issues()
    )
    return sorted(found, key=lambda i: i["id"])


def _patch(server: LiveServer, path: str, body: Any, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token or server.token}"}
    return httpx.patch(server.url + path, json=body, headers=headers, timeout=10)


def _activity(server: LiveServer, issue_id: int) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = server.api_json(f"/api/v1/issues/{issue_id}/activity")["data"]
    return data


MAIN_PATH = ["investigating", "diagnosed", "in_progress", "resolved", "verified", "closed"]


def test_the_main_path_is_allowed_and_logged(sdk: LiveServer) -> None:
    (issue,) = _issues(sdk, checkout)
    url = f"/api/v1/issues/{issue['id']}"
    assert issue["status"] == "detected" and issue["acknowledged_at"] is None
    previous = "detected"
    for step, status in enumerate(MAIN_PATH):
        clock.pin(T0 + 60 * (step + 1))
        response = _patch(sdk, url, {"status": status})
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status
        entry = [a for a in _activity(sdk, issue["id"]) if a["kind"] == "status"][-1]
        assert (entry["old"], entry["new"], entry["user"]) == (
            previous,
            status,
            "admin@example.com",
        )
        previous = status
    final = sdk.api_json(url)
    assert final["acknowledged_at"] == "2030-03-17T17:47:40Z"  # the first change: T0 + 60 s
    assert final["resolved_at"] == "2030-03-17T17:50:40Z"  # T0 + 240 s
    # Reopening is investigating again, and forgets the resolution.
    reopened = _patch(sdk, url, {"status": "investigating"}).json()
    assert reopened["status"] == "investigating" and reopened["resolved_at"] is None


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ([], "verified"),
        ([], "closed"),
        ([], "recurring"),
        (["investigating", "resolved"], "in_progress"),
        (["ignored"], "resolved"),
    ],
)
def test_invalid_transitions_are_refused_with_the_allowed_ones(
    sdk: LiveServer, path: list[str], target: str
) -> None:
    (issue,) = _issues(sdk, checkout)
    url = f"/api/v1/issues/{issue['id']}"
    for status in path:
        assert _patch(sdk, url, {"status": status}).status_code == 200
    before = _activity(sdk, issue["id"])
    refused = _patch(sdk, url, {"status": target})
    assert refused.status_code == 409
    assert f"to {target}" in refused.json()["detail"] and "from " in refused.json()["detail"]
    assert _activity(sdk, issue["id"]) == before  # nothing changed, nothing logged


def test_ignore_conditions_and_resolution_releases(sdk: LiveServer) -> None:
    (issue,) = _issues(sdk, checkout)
    url = f"/api/v1/issues/{issue['id']}"
    assert _patch(sdk, url, {"ignore": {"more_events": 5}}).status_code == 400
    assert (
        _patch(sdk, url, {"status": "ignored", "ignore": {"until": "2000-01-01"}}).status_code
        == 400
    )
    assert _patch(sdk, url, {"status": "ignored", "ignore": {"more_events": 0}}).status_code == 422
    ignored = _patch(
        sdk,
        url,
        {
            "status": "ignored",
            "ignore": {"more_events": 5, "more_users": 2, "until": str(T0 + 3600)},
        },
    ).json()
    assert ignored["ignore"] == {
        "until": "2030-03-17T18:46:40Z",
        "until_count": 6,
        "until_users": 2,
    }
    note = [a for a in _activity(sdk, issue["id"]) if a["kind"] == "status"][-1]["note"]
    assert "5 more events" in note and "2 more users" in note
    back = _patch(sdk, url, {"status": "detected"}).json()
    assert back["ignore"] is None

    assert (
        _patch(sdk, url, {"status": "resolved", "resolved_in_release": "shop@1.0.1"}).json()[
            "resolved_in_release"
        ]
        == "shop@1.0.1"
    )
    _patch(sdk, url, {"status": "investigating"})
    nxt = _patch(sdk, url, {"status": "resolved", "resolve_in_next_release": True}).json()
    assert nxt["resolve_in_next_release"] is True and nxt["resolved_in_release"] == "shop@1.0.0"
    both = {"status": "resolved", "resolved_in_release": "x", "resolve_in_next_release": True}
    assert _patch(sdk, url, both).status_code == 400
    assert _patch(sdk, url, {"status": "nonsense"}).status_code == 400


def test_severity_assignee_and_catalogue_fields(sdk: LiveServer) -> None:
    (issue,) = _issues(sdk, checkout)
    url = f"/api/v1/issues/{issue['id']}"
    assert _patch(sdk, url, {"severity": "P5"}).status_code == 400
    assert _patch(sdk, url, {"taxonomy": "cosmic"}).status_code == 400
    assert _patch(sdk, url, {"taxonomy": "integration"}).json()["taxonomy"] == "integration"
    assert _patch(sdk, url, {"assignee": "nobody@example.com"}).status_code == 400
    assert _patch(sdk, url, {"nope": 1}).status_code == 422
    assert _patch(sdk, url, {}).status_code == 400  # nothing to change
    runbook = "## Steps\n\n1. restart\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))"
    changed = _patch(
        sdk,
        url,
        {"severity": "P1", "assignee": "admin@example.com", "runbook": runbook, "symptoms": "500s"},
    )
    assert changed.status_code == 200, changed.text
    data = changed.json()
    assert data["assignee"] == "admin@example.com"
    assert data["catalogue"]["runbook"]["markdown"] == runbook
    html = data["catalogue"]["runbook"]["html"]
    assert "<h2>Steps</h2>" in html and "<script>" not in html and 'href="javascript' not in html
    kinds = {(a["kind"], a["field"]) for a in _activity(sdk, issue["id"])}
    assert {("severity", "severity"), ("assignee", "assignee")} <= kinds
    assert {("catalogue", "runbook"), ("catalogue", "symptoms")} <= kinds
    unassigned = _patch(sdk, url, {"assignee": None, "symptoms": ""}).json()
    assert (
        unassigned["assignee"] is None and unassigned["catalogue"]["symptoms"]["markdown"] is None
    )


def test_bulk_update_by_query_and_ids(sdk: LiveServer) -> None:
    first, second = _issues(sdk, checkout, refund)
    url = f"/api/v1/projects/{sdk.project.slug}/issues"
    _patch(sdk, f"/api/v1/issues/{second['id']}", {"status": "ignored"})
    moved = _patch(sdk, url + "?status=unresolved", {"status": "investigating"}).json()
    assert moved == {"matched": 1, "updated": [first["id"]], "refused": []}
    mixed = _patch(
        sdk, url + f"?id={first['id']}&id={second['id']}", {"status": "diagnosed"}
    ).json()
    assert mixed["updated"] == [first["id"]]
    assert mixed["refused"][0]["issue_id"] == second["id"]
    assert "from ignored" in mixed["refused"][0]["reason"]
    assert _patch(sdk, url + "?status=bogus", {"status": "resolved"}).status_code == 400
    assert _patch(sdk, "/api/v1/projects/none/issues", {"status": "resolved"}).status_code == 404


def test_comments_and_permissions(sdk: LiveServer) -> None:
    (issue,) = _issues(sdk, checkout)
    comments = f"/api/v1/issues/{issue['id']}/comments"
    auth = {"Authorization": f"Bearer {sdk.token}"}
    posted = httpx.post(sdk.url + comments, json={"body": "seen **twice** <b>x</b>"}, headers=auth)
    assert posted.status_code == 201, posted.text
    comment = posted.json()
    assert comment["html"] == "<p>seen <strong>twice</strong> &lt;b&gt;x&lt;/b&gt;</p>\n"
    assert httpx.post(sdk.url + comments, json={"body": ""}, headers=auth).status_code == 422
    assert [c["id"] for c in sdk.api_json(comments)["data"]] == [comment["id"]]
    assert any(a["kind"] == "comment" for a in _activity(sdk, issue["id"]))

    with write_transaction(sdk.engine) as conn:
        team = ensure_team(conn, "default")
        other = create_user(
            conn,
            email="bob@example.com",
            password_hash=password_hash("pw-12345678"),
            is_superuser=False,
        )
        add_member(conn, team_id=team, user_id=other.id, role="member")
        bob = create_token(conn, user_id=other.id, scopes=["event:read", "event:write"])
        stranger = create_user(
            conn,
            email="eve@example.com",
            password_hash=password_hash("pw-12345678"),
            is_superuser=False,
        )
        add_member(conn, team_id=ensure_team(conn, "other"), user_id=stranger.id, role="owner")
        eve = create_token(conn, user_id=stranger.id, scopes=["event:read", "event:write"])
    edit = f"/api/v1/comments/{comment['id']}"
    assert _patch(sdk, edit, {"body": "mine now"}, token=bob).status_code == 403
    assert _patch(sdk, edit, {"body": "x"}, token=eve).status_code == 404
    assert (
        _patch(sdk, f"/api/v1/issues/{issue['id']}", {"status": "investigating"}, eve).status_code
        == 404
    )
    reader = sdk.admin_token(["event:read"])
    assert (
        _patch(
            sdk, f"/api/v1/issues/{issue['id']}", {"status": "investigating"}, reader
        ).status_code
        == 403
    )
    assert httpx.patch(sdk.url + f"/api/v1/issues/{issue['id']}", json={}).status_code == 401
    assert _patch(sdk, edit, {"body": "edited"}).json()["body"] == "edited"
    assert httpx.delete(sdk.url + edit, headers=auth).status_code == 204
    assert sdk.api_json(comments)["data"] == []
    assert httpx.delete(sdk.url + edit, headers=auth).status_code == 404


def test_text_that_is_not_unicode_is_refused(sqlite_server: LiveServer) -> None:
    """JSON lets a lone surrogate through ("\\ud800"); UTF-8 cannot hold it, and the
    422 must not turn into a 500 by echoing it."""
    server = sqlite_server
    server.send_event("a" * 32, {"message": "boom", "level": "error"})
    server.wait_events(1)
    (issue,) = server.issues()
    headers = {"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"}
    for path, method, body in (
        (f"/api/v1/issues/{issue['id']}", "PATCH", b'{"diagnosis": "\\ud800"}'),
        (f"/api/v1/issues/{issue['id']}/comments", "POST", b'{"body": "x\\udfff"}'),
    ):
        answer = httpx.request(method, server.url + path, content=body, headers=headers)
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"][0]["type"] == "string_unicode"


# The workflow written out again, independently of lifecycle/status.py: each state and
# the states a person may move it to.
EXPECTED_MOVES = {
    "detected": {"investigating", "diagnosed", "in_progress", "resolved", "ignored"},
    "investigating": {"diagnosed", "in_progress", "resolved", "ignored"},
    "diagnosed": {"investigating", "in_progress", "resolved", "recurring", "ignored"},
    "in_progress": {"diagnosed", "resolved", "ignored"},
    "resolved": {"verified", "investigating"},
    "verified": {"closed", "investigating"},
    "closed": {"investigating"},
    "ignored": {"detected", "investigating"},
    "recurring": {"investigating", "resolved"},
}


def test_every_transition_through_the_api(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    server.send_event("b" * 32, {"message": "boom", "level": "error"})
    server.wait_events(1)
    (issue,) = server.issues()
    url = f"/api/v1/issues/{issue['id']}"
    for old, allowed in EXPECTED_MOVES.items():
        for new in EXPECTED_MOVES:
            if new == old:
                continue
            with write_transaction(server.engine) as conn:
                conn.execute(update(issues).where(issues.c.id == issue["id"]).values(status=old))
            answer = _patch(server, url, {"status": new})
            if new in allowed:
                assert answer.status_code == 200, (old, new, answer.text)
                assert answer.json()["status"] == new
            else:
                assert answer.status_code == 409, (old, new, answer.text)
                assert f"from {old}" in answer.json()["detail"]

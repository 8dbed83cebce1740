"""Known error patterns (PAT-<n>) through the HTTP API: CRUD, links with their
activity entries and counts, team visibility, scopes and bad input; events from the
real sentry-sdk."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sentry_sdk

from faultbox.store.accounts import (
    add_member,
    create_token,
    create_user,
    ensure_team,
    get_user_by_email,
)
from faultbox.store.db import write_transaction
from faultbox.store.projects import create_project
from tests.support import LiveServer, password_hash, wait_for


@pytest.fixture
def sdk(live_server: LiveServer) -> Iterator[LiveServer]:
    sentry_sdk.init(dsn=live_server.dsn, release="shop@1.0.0")
    yield live_server
    sentry_sdk.get_client().close(timeout=5)


def parse_price(text: str) -> float:
    return float(text)


def parse_quantity(text: str) -> int:
    return int(text)


def _two_issues(server: LiveServer) -> tuple[dict[str, Any], dict[str, Any]]:
    """parse_price fails three times, parse_quantity twice."""
    for fn, arg in [(parse_price, "a"), (parse_price, "b"), (parse_price, "c")] + [
        (parse_quantity, "x"),
        (parse_quantity, "y"),
    ]:
        try:
            fn(arg)
        except ValueError:
            sentry_sdk.capture_exception()
    sentry_sdk.flush(timeout=10)
    server.wait_events(5)
    found = wait_for(lambda: len(server.issues()) == 2 and server.issues())
    by = {i["culprit"].rsplit(" in ", 1)[-1]: i for i in found}
    return by["parse_price"], by["parse_quantity"]


class Client:
    def __init__(self, server: LiveServer, token: str) -> None:
        self.url = server.url + "/api/v1"
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return httpx.request(method, self.url + path, json=body, headers=self.headers, timeout=10)

    def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        response = self.call(method, path, body)
        assert response.status_code == status, response.text
        return response.json()

    def error(self, method: str, path: str, body: Any, status: int, needle: str) -> None:
        response = self.call(method, path, body)
        assert response.status_code == status, response.text
        assert needle in str(response.json()["detail"]), response.text


def _other_team(server: LiveServer) -> str:
    """A member of another team with a project of its own; returns the member's token."""
    with write_transaction(server.engine) as conn:
        team = ensure_team(conn, "mobile-team")
        user = create_user(
            conn,
            email="dev@example.com",
            password_hash=password_hash("pw-123456"),
            is_superuser=False,
        )
        add_member(conn, team_id=team, user_id=user.id, role="member")
        create_project(conn, name="mobile", team_id=team)
        return create_token(conn, user_id=user.id, scopes=["event:read", "event:write"])


def test_patterns_crud_links_counts_and_activity(sdk: LiveServer) -> None:
    server = sdk
    price, quantity = _two_issues(server)
    admin = Client(server, server.token)

    created = admin.ok(
        "POST",
        "/patterns",
        {
            "title": "  Unvalidated numeric input ",
            "description": "Request fields are parsed **without** checks.",
            "prevention": "Validate at the edge.",
            "code_example": "```python\nfloat(request.GET['price'])\n```",
        },
        status=201,
    )
    assert created["short_id"] == "PAT-001" and created["number"] == 1
    assert (created["team"], created["title"]) == ("default", "Unvalidated numeric input")
    assert created["html"]["description"] == (
        "<p>Request fields are parsed <strong>without</strong> checks.</p>\n"
    )
    assert (created["issue_count"], created["occurrences"], created["issues"]) == (0, 0, [])

    linked = admin.ok("POST", "/patterns/PAT-001/issues", {"issues": [price["id"], quantity["id"]]})
    assert linked["linked"] == sorted([price["id"], quantity["id"]])
    assert linked["already_linked"] == []
    assert (linked["pattern"]["issue_count"], linked["pattern"]["occurrences"]) == (2, 5)
    assert [i["short_id"] for i in linked["pattern"]["issues"]] == [
        price["short_id"],
        quantity["short_id"],
    ]  # busiest first
    again = admin.ok("POST", "/patterns/1/issues", {"issues": [price["id"]]})
    assert (again["linked"], again["already_linked"]) == ([], [price["id"]])

    log = admin.ok("GET", f"/issues/{price['id']}/activity")["data"]
    links = [e for e in log if e["kind"] == "pattern"]
    assert [(e["new"], e["old"], e["user"], e["note"]) for e in links] == [
        ("PAT-001", None, "admin@example.com", "linked")
    ]  # linking twice logs once
    detail = admin.ok("GET", f"/issues/{price['id']}")
    assert [p["id"] for p in detail["patterns"]] == ["PAT-001"]

    listed = admin.ok("GET", "/patterns")["data"]
    assert [(p["short_id"], p["issue_count"], p["occurrences"]) for p in listed] == [
        ("PAT-001", 2, 5)
    ]
    for ref in ("1", "PAT-1", "pat-001", "PAT001"):
        assert admin.ok("GET", f"/patterns/{ref}")["id"] == created["id"]

    edited = admin.ok(
        "PATCH", "/patterns/PAT-001", {"title": "Numeric input", "code_example": None}
    )
    assert (edited["title"], edited["code_example"], edited["prevention"]) == (
        "Numeric input",
        None,
        "Validate at the edge.",
    )
    assert edited["updated_at"] >= created["updated_at"]

    unlinked = admin.ok("DELETE", f"/patterns/PAT-001/issues/{quantity['id']}")
    assert unlinked["unlinked"] == quantity["id"]
    assert (unlinked["pattern"]["issue_count"], unlinked["pattern"]["occurrences"]) == (1, 3)
    admin.error("DELETE", f"/patterns/PAT-001/issues/{quantity['id']}", None, 404, "not linked")
    log = admin.ok("GET", f"/issues/{quantity['id']}/activity")["data"]
    assert [(e["old"], e["new"], e["note"]) for e in log if e["kind"] == "pattern"] == [
        (None, "PAT-001", "linked"),
        ("PAT-001", None, "unlinked"),
    ]

    second = admin.ok("POST", "/patterns", {"title": "Second", "team": "default"}, status=201)
    assert second["short_id"] == "PAT-002"
    gone = admin.ok("DELETE", "/patterns/PAT-001")
    assert gone == {"deleted": "PAT-001", "unlinked_issues": 1}
    admin.error("GET", "/patterns/PAT-001", None, 404, "no pattern")
    log = admin.ok("GET", f"/issues/{price['id']}/activity")["data"]
    assert [e["note"] for e in log if e["kind"] == "pattern"] == ["linked", "deleted"]
    # Numbers only grow: the next one follows the highest, never refills a gap.
    third = admin.ok("POST", "/patterns", {"title": "Third"}, status=201)
    assert third["short_id"] == "PAT-003"
    assert [p["short_id"] for p in admin.ok("GET", "/patterns")["data"]] == ["PAT-002", "PAT-003"]


def test_patterns_are_visible_to_their_team_only(sdk: LiveServer) -> None:
    server = sdk
    price, _ = _two_issues(server)
    admin = Client(server, server.token)  # superuser, member of team "default"
    dev = Client(server, _other_team(server))

    ours = admin.ok("POST", "/patterns", {"title": "Ours"}, status=201)
    admin.ok("POST", f"/patterns/{ours['number']}/issues", {"issues": [price["id"]]})
    theirs = dev.ok("POST", "/patterns", {"title": "Theirs"}, status=201)
    assert (theirs["short_id"], theirs["team"]) == ("PAT-002", "mobile-team")  # numbers are global

    assert [p["title"] for p in dev.ok("GET", "/patterns")["data"]] == ["Theirs"]
    assert [p["title"] for p in admin.ok("GET", "/patterns")["data"]] == ["Ours", "Theirs"]
    for method, path, body in [
        ("GET", "/patterns/PAT-001", None),
        ("PATCH", "/patterns/PAT-001", {"title": "mine now"}),
        ("DELETE", "/patterns/PAT-001", None),
        ("POST", "/patterns/PAT-001/issues", {"issues": [price["id"]]}),
        ("DELETE", f"/patterns/PAT-001/issues/{price['id']}", None),
    ]:
        dev.error(method, path, body, 404, "no pattern")
    # Their own pattern cannot take an issue of a project they cannot see.
    dev.error("POST", "/patterns/PAT-002/issues", {"issues": [price["id"]]}, 404, "no issue")
    dev.error("POST", "/patterns", {"title": "x", "team": "default"}, 400, "not one of your teams")
    assert admin.ok("GET", "/patterns/PAT-001")["issue_count"] == 1

    # A caller in several teams must say which one.
    with write_transaction(server.engine) as conn:
        user = get_user_by_email(conn, "admin@example.com")
        add_member(conn, team_id=ensure_team(conn, "mobile-team"), user_id=user.id, role="admin")
    admin.error("POST", "/patterns", {"title": "Where?"}, 400, "team: required")
    assert admin.ok("POST", "/patterns", {"title": "Here", "team": "mobile-team"}, 201)["team"] == (
        "mobile-team"
    )


def test_patterns_bad_input_and_scopes(live_server: LiveServer) -> None:
    server = live_server
    admin = Client(server, server.token)
    reader = Client(server, server.admin_token(["event:read"]))
    assert httpx.get(server.url + "/api/v1/patterns").status_code == 401
    reader.error("POST", "/patterns", {"title": "x"}, 403, "event:write")
    assert reader.ok("GET", "/patterns") == {"data": [], "next_cursor": None}

    for body, needle in [
        ({}, "title: required"),
        ({"title": "   "}, "title: required"),
        ({"title": 5}, "title: required"),
        ({"title": "x" * 301}, "at most 300"),
        ({"title": "x", "description": 3}, "description: a string or null"),
        ({"title": "x", "prevention": "p" * 100_001}, "at most 100000"),
        ({"title": "x", "colour": "red"}, "unknown field 'colour'"),
        ({"title": "x", "team": "nope"}, "not one of your teams"),
        ({"title": "x", "team": 7}, "not one of your teams"),
    ]:
        admin.error("POST", "/patterns", body, 400, needle)
    assert admin.call("POST", "/patterns", ["not", "an", "object"]).status_code == 422

    admin.ok("POST", "/patterns", {"title": "Fine"}, status=201)
    admin.error("PATCH", "/patterns/PAT-001", {"title": ""}, 400, "title: required")
    admin.error("PATCH", "/patterns/PAT-001", {"team": "default"}, 400, "stays with the team")
    admin.error("PATCH", "/patterns/PAT-001", {"titel": "x"}, 400, "unknown field 'titel'")
    for ref in ("PAT-abc", "0", "PAT-0", "-1", "1" * 12, "PAT-999"):
        admin.error("GET", f"/patterns/{ref}", None, 404, "pattern")
    for body in ({"issues": []}, {"issues": ["a"]}, {"issues": [0]}, {"ids": [1]}, {}):
        assert admin.call("POST", "/patterns/PAT-001/issues", body).status_code == 422, body
    admin.error("POST", "/patterns/PAT-001/issues", {"issues": [2**62]}, 404, "no issue")
    admin.error("DELETE", f"/patterns/PAT-001/issues/{2**63}", None, 404, "not linked")
    assert admin.ok("GET", "/patterns/PAT-001")["issue_count"] == 0

"""The REST query API end to end: httpx against a live server (SQLite and PostgreSQL).

Covered: bearer-token authentication and scopes; project visibility by team
membership (other teams' projects, issues and events are 404); the project
detail (DSN, counts, outcomes); the issue list filters, sorts and keyset
pagination; clear 400s for bad query parameters; the event endpoints; and the
docs, OpenAPI schema and health endpoints.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import update

from faultbox.store.accounts import add_member, create_token, create_user, ensure_team
from faultbox.store.db import write_transaction
from faultbox.store.projects import Project, create_project
from faultbox.store.schema import issues, users
from tests.support import LiveServer, password_hash, wait_for

DAY = 86400.0
READ_ALL = ["project:read", "event:read"]


def send(server: LiveServer, project: Project | None = None, **event: Any) -> str:
    """POST one event envelope with the project's key; return its event id."""
    project = project or server.project
    event_id = uuid.uuid4().hex
    item = orjson.dumps(event)
    body = b"\n".join(
        [
            orjson.dumps({"event_id": event_id}),
            orjson.dumps({"type": "event", "length": len(item)}),
            item,
        ]
    )
    auth = {"X-Sentry-Auth": f"Sentry sentry_key={project.public_key}, sentry_version=7"}
    response = server.post(f"/api/{project.id}/envelope/", body, auth)
    assert response.status_code == 200, response.text
    return event_id


def new_user(server: LiveServer, email: str, scopes: list[str], team: str | None = None) -> str:
    """A non-superuser (a member of ``team`` when given) and a token for it."""
    with write_transaction(server.engine) as conn:
        user = create_user(
            conn, email=email, password_hash=password_hash("pw-12345678"), is_superuser=False
        )
        if team:
            add_member(conn, team_id=ensure_team(conn, team), user_id=user.id, role="member")
        return create_token(conn, user_id=user.id, scopes=scopes)


def new_project(server: LiveServer, name: str, team: str) -> Project:
    with write_transaction(server.engine) as conn:
        return create_project(conn, name=name, team_id=ensure_team(conn, team))


# Five issues whose orders differ for every sort: name → (message, level, environment,
# release, service, [(seconds before now, user id or None), ...]).
ISSUES: dict[str, tuple[str, str, str, str | None, str | None, list[tuple[float, str | None]]]] = {
    "A": ("alpha failure in checkout", "error", "production", "1.0", "api",
          [(4 * DAY, "u1"), (4 * DAY - 60, "u2"), (600, "u3")]),
    "B": ("beta warning from worker", "warning", "staging", "2.0", "worker",
          [(3 * DAY - 60 * i, "u1") for i in range(4)]),
    "C": ("gamma crash", "fatal", "production", "2.0", "api", [(2 * DAY, None)]),
    "D": ("delta timeout", "error", "production", "3.0", None,
          [(DAY, "u4"), (DAY - 60, "u5")]),
    "E": ("epsilon notice 100%_done", "info", "staging", None, None, [(DAY / 2, None)]),
}  # fmt: skip


def populate(server: LiveServer) -> tuple[float, dict[str, int]]:
    """Send the ISSUES events; return (now, name → issue id)."""
    now = time.time()
    for message, level, env, release, service, occurrences in ISSUES.values():
        for ago, user in occurrences:
            tags = {"service": service} if service else {}
            send(server, message=message, level=level, environment=env, release=release,
                 timestamp=now - ago, tags=tags, user=user and {"id": user})  # fmt: skip
    server.wait_events(sum(len(spec[-1]) for spec in ISSUES.values()))
    by_title = {i["title"]: i["id"] for i in server.issues(limit=100)}
    return now, {name: by_title[spec[0]] for name, spec in ISSUES.items()}


def walk(server: LiveServer, path: str, **params: Any) -> list[list[dict[str, Any]]]:
    """Every page of a list, following next_cursor until it is null."""
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    while len(pages) < 20:
        body = server.api_json(path, **params, **({"cursor": cursor} if cursor else {}))
        pages.append(body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError(f"pagination of {path} does not end")


def paths(project: Project, issue_id: int, event_id: str) -> list[str]:
    """The project's endpoints, then those of one of its issues and events."""
    project_path = f"/api/v1/projects/{project.slug}"
    return [
        *(project_path + tail for tail in ("", "/issues", "/events")),
        *(f"/api/v1/issues/{issue_id}" + tail for tail in ("", "/events")),
        f"/api/v1/events/{event_id}",
    ]


def names(server: LiveServer, ids: dict[str, int], **params: Any) -> list[str]:
    name_of = {v: k for k, v in ids.items()}
    return [name_of[i["id"]] for i in server.issues(limit=100, **params)]


# -- authentication and scopes ------------------------------------------------------


def test_missing_or_invalid_token_is_401(sqlite_server: LiveServer) -> None:
    url = sqlite_server.url + "/api/v1/projects"
    response = httpx.get(url, timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "Authorization: Bearer" in response.json()["detail"]
    for header in ("Basic YWRtaW46cHc=", "Bearer", sqlite_server.token):
        response = httpx.get(url, headers={"Authorization": header}, timeout=10)
        assert response.status_code == 401, header
        assert response.headers["WWW-Authenticate"] == "Bearer"

    response = sqlite_server.api("/api/v1/projects", token="fbt_not-a-real-token")
    assert response.status_code == 401
    assert response.json()["detail"] == "invalid API token"
    assert response.headers["WWW-Authenticate"] == "Bearer"

    token = new_user(sqlite_server, "gone@example.com", READ_ALL, team="default")
    assert sqlite_server.api("/api/v1/projects", token=token).status_code == 200
    with write_transaction(sqlite_server.engine) as conn:
        conn.execute(
            update(users).where(users.c.email == "gone@example.com").values(is_active=False)
        )
    assert sqlite_server.api("/api/v1/projects", token=token).status_code == 401


def test_scopes_gate_events_and_projects_separately(sqlite_server: LiveServer) -> None:
    server = sqlite_server
    event_id = send(server, message="scoped")
    server.wait_events(1)
    slug = server.project.slug
    event_paths = paths(server.project, server.issues()[0]["id"], event_id)[1:]
    project_reader = new_user(server, "pm@example.com", ["project:read"], team="default")
    for path in event_paths:
        response = server.api(path, token=project_reader)
        assert response.status_code == 403, path
        assert "event:read" in response.json()["detail"]
    listing = server.api("/api/v1/projects", token=project_reader)
    assert listing.status_code == 200
    assert [p["slug"] for p in listing.json()["data"]] == [slug]
    assert server.api(f"/api/v1/projects/{slug}", token=project_reader).status_code == 200

    event_reader = new_user(server, "dev@example.com", ["event:read"], team="default")
    for path in event_paths:
        assert server.api(path, token=event_reader).status_code == 200, path
    response = server.api("/api/v1/projects", token=event_reader)
    assert response.status_code == 403
    assert "project:read" in response.json()["detail"]


# -- visibility ---------------------------------------------------------------------


def test_members_see_only_their_teams_projects(live_server: LiveServer) -> None:
    server = live_server
    mine = new_project(server, "alpha app", "alpha")
    theirs = new_project(server, "beta app", "beta")
    member = new_user(server, "member@example.com", READ_ALL, team="alpha")
    loner = new_user(server, "loner@example.com", READ_ALL)  # in no team at all
    my_event, their_event = send(server, mine, message="a"), send(server, theirs, message="b")

    def issue_of(project: Project) -> int | None:
        data = server.api_json(f"/api/v1/projects/{project.slug}/issues")["data"]  # superuser
        return data[0]["id"] if data else None

    my_issue, their_issue = wait_for(lambda: issue_of(mine)), wait_for(lambda: issue_of(theirs))

    everything = server.api_json("/api/v1/projects")["data"]
    assert {p["slug"] for p in everything} == {server.project.slug, "alpha-app", "beta-app"}
    listing = server.api("/api/v1/projects", token=member).json()["data"]
    assert [(p["slug"], p["team"]) for p in listing] == [("alpha-app", "alpha")]
    assert server.api("/api/v1/projects", token=loner).json()["data"] == []

    for path in paths(mine, my_issue, my_event):
        assert server.api(path, token=member).status_code == 200, path
    for path in paths(theirs, their_issue, their_event):
        assert server.api(path, token=member).status_code == 404, path
        assert server.api(path, token=loner).status_code == 404, path
        assert server.api(path).status_code == 200, path  # the superuser sees everything
    # A hidden project answers exactly like one that does not exist.
    hidden = server.api(f"/api/v1/projects/{theirs.slug}", token=member).json()["detail"]
    missing = server.api("/api/v1/projects/nope", token=member).json()["detail"]
    assert (hidden, missing) == ("no project 'beta-app'", "no project 'nope'")


def test_project_detail_has_dsn_counts_and_outcomes(live_server: LiveServer) -> None:
    server = live_server
    for message in ("one", "two", "one"):
        send(server, message=message)
    server.wait_events(3)
    detail = server.api_json(f"/api/v1/projects/{server.project.slug}")
    project, port = server.project, server.settings.port
    match = re.fullmatch(r"http://([0-9a-f]{32})@127\.0\.0\.1:(\d+)/(\d+)", detail["dsn"])
    assert match and match.groups() == (project.public_key, str(port), str(project.id))
    assert detail["dsn"] == server.dsn
    assert (detail["id"], detail["slug"], detail["team"]) == (project.id, "backend", "default")
    assert (detail["event_count"], detail["issue_count"]) == (3, 2)
    assert detail["created_at"].endswith("Z")

    def accepted() -> list[dict[str, Any]]:
        outcomes = server.api_json(f"/api/v1/projects/{server.project.slug}")["outcomes"]
        return [o for o in outcomes if (o["category"], o["outcome"]) == ("error", "accepted")]

    assert wait_for(lambda: [o["quantity"] for o in accepted()] == [3])


# -- the issue list -----------------------------------------------------------------


def test_issue_list_filters(live_server: LiveServer) -> None:
    server = live_server
    now, ids = populate(server)
    assert names(server, ids) == ["A", "E", "D", "C", "B"]
    issue_a = next(i for i in server.issues() if i["id"] == ids["A"])
    assert (issue_a["count"], issue_a["user_count"], issue_a["level"]) == (3, 3, "error")
    assert issue_a["short_id"].startswith("ERR-") and issue_a["status"] == "detected"

    assert names(server, ids, level="warning") == ["B"]
    assert names(server, ids, level="error") == ["A", "D"]
    assert names(server, ids, level="debug") == []
    assert names(server, ids, environment="staging") == ["E", "B"]
    assert names(server, ids, environment="production", level="error") == ["A", "D"]
    assert names(server, ids, release="2.0") == ["C", "B"]
    assert names(server, ids, service="api") == ["A", "C"]
    assert names(server, ids, service="worker", environment="production") == []
    # Free text is the search language's (tests/integration/test_search_api.py covers it):
    # whole words, case-insensitive, punctuation only separates them.
    assert names(server, ids, query="WARNING") == ["B"]
    assert names(server, ids, query="100%_done") == ["E"]
    assert names(server, ids, query="100%_d") == []  # a word matches whole words ...
    assert names(server, ids, query="100%_d*") == ["E"]  # ... or, with a star, their start
    assert names(server, ids, query="%") == ["A", "E", "D", "C", "B"]  # no word: no filter
    assert names(server, ids, query="a_f") == []

    iso = datetime.fromtimestamp(now - 2.5 * DAY, UTC).isoformat()
    assert names(server, ids, since=iso) == ["A", "E", "D", "C"]  # last seen since
    assert names(server, ids, until=str(now - 3.5 * DAY)) == ["A"]  # first seen until
    assert names(server, ids, since=str(now - 1.5 * DAY), until=str(now - 0.9 * DAY)) == ["A", "D"]
    assert names(server, ids, since=str(now + 60)) == []

    assert names(server, ids, status="unresolved") == ["A", "E", "D", "C", "B"]
    assert names(server, ids, status="resolved") == []
    with write_transaction(server.engine) as conn:
        conn.execute(update(issues).where(issues.c.id == ids["C"]).values(status="resolved"))
    assert names(server, ids, status="resolved") == ["C"]
    assert names(server, ids, status="unresolved") == ["A", "E", "D", "B"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("last_seen", ["A", "E", "D", "C", "B"]),
        ("first_seen", ["E", "D", "C", "B", "A"]),
        ("times_seen", ["B", "A", "D", "?", "?"]),  # C and E tie on 1
        ("users", ["A", "D", "B", "?", "?"]),  # C and E tie on 0
    ],
)
def test_issue_sorts_and_cursor_pagination(
    live_server: LiveServer, sort: str, expected: list[str]
) -> None:
    server = live_server
    _, ids = populate(server)
    full = names(server, ids, sort=sort)
    if "?" in expected:  # ties break on the id: the newer issue first
        assert full[:3] == expected[:3]
        assert [ids[n] for n in full[3:]] == sorted((ids["C"], ids["E"]), reverse=True)
    else:
        assert full == expected

    pages = walk(server, f"/api/v1/projects/{server.project.slug}/issues", sort=sort, limit=2)
    assert [len(p) for p in pages] == [2, 2, 1]
    walked = [i["id"] for page in pages for i in page]
    assert walked == [ids[n] for n in full]  # same order, every issue once

    # Pagination composes with filters.
    path = f"/api/v1/projects/{server.project.slug}/issues"
    pages = walk(server, path, environment="production", sort=sort, limit=2)
    assert [len(p) for p in pages] == [2, 1]
    assert {i["id"] for p in pages for i in p} == {ids["A"], ids["C"], ids["D"]}


def cursor_of(value: Any) -> str:
    """A well-formed cursor around a value no page could have produced."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


BAD_PARAMETERS = [
    ("level", "loud"),
    ("sort", "bogus"),
    ("status", "x"),
    ("since", "yesterday"),
    ("since", "nan"),
    ("until", "2024-13-45"),
    ("cursor", "garbage"),
    *(("cursor", cursor_of(v)) for v in ([1, 2, 3], ["x", 1], [None, 1], [{}, 1], [1, True])),
]


def test_bad_list_parameters_are_rejected(live_server: LiveServer) -> None:
    slug = live_server.project.slug
    send(live_server, message="so that a page has rows")
    live_server.wait_events(1)
    for what in ("issues", "events"):
        for param, value in BAD_PARAMETERS:
            if what == "events" and param in ("level", "sort", "status"):
                continue
            response = live_server.api(f"/api/v1/projects/{slug}/{what}", **{param: value})
            assert response.status_code == 400, (what, param, value, response.text)
            detail = response.json()["detail"]
            assert param in detail or (param == "cursor" and "next_cursor" in detail), detail
        for limit in (0, 1000, -1):  # FastAPI validates the bounds: 422, naming the field
            response = live_server.api(f"/api/v1/projects/{slug}/{what}", limit=limit)
            assert response.status_code == 422, (what, limit)
            assert response.json()["detail"][0]["loc"] == ["query", "limit"]
    for issue_id in (0, 2**63, 10**30):  # out of range ids are not found, not a 500
        assert live_server.api(f"/api/v1/issues/{issue_id}").status_code == 404, issue_id
        assert live_server.api(f"/api/v1/issues/{issue_id}/events").status_code == 404, issue_id


# -- events -------------------------------------------------------------------------


def test_event_lists_and_detail(live_server: LiveServer) -> None:
    server = live_server
    now = time.time()
    sent = [
        send(server, message="checkout failed", timestamp=now - 30 * i, tags={"n": str(i)})
        for i in range(5)
    ]
    other = send(server, message="unrelated", timestamp=now - 1000)
    server.wait_events(6)
    issue = next(i for i in server.issues() if i["title"] == "checkout failed")

    listing = server.api_json(f"/api/v1/issues/{issue['id']}/events")
    assert [e["event_id"] for e in listing["data"]] == sent  # newest first
    assert listing["next_cursor"] is None
    for e in listing["data"]:
        assert re.fullmatch(r"[0-9a-f]{32}", e["event_id"]) and e["issue_id"] == issue["id"]
        assert "event" not in e

    full = server.api_json(f"/api/v1/issues/{issue['id']}/events", full="true", limit=2)
    assert len(full["data"]) == 2 and full["next_cursor"]
    first = full["data"][0]["event"]
    assert (first["event_id"], first["tags"], first["level"]) == (sent[0], {"n": "0"}, "error")
    assert first["message"] == "checkout failed" and first["project_id"] == server.project.id

    slug = server.project.slug
    pages = walk(server, f"/api/v1/projects/{slug}/events", limit=4)
    assert [len(p) for p in pages] == [4, 2]
    walked = [e["event_id"] for p in pages for e in p]
    assert walked == [*sent, other]
    recent = server.api_json(f"/api/v1/projects/{slug}/events", since=str(now - 65))["data"]
    assert [e["event_id"] for e in recent] == sent[:3]

    detail = server.api_json(f"/api/v1/events/{sent[2]}")
    assert (detail["event_id"], detail["issue_id"]) == (sent[2], issue["id"])
    assert (detail["message"], detail["tags"]) == ("checkout failed", {"n": "2"})
    assert detail["issue_short_id"] == issue["short_id"]
    dashed = str(uuid.UUID(sent[2])).upper()
    assert server.api_json(f"/api/v1/events/{dashed}")["event_id"] == sent[2]

    for bad in ("xyz", "0" * 31, "g" * 32, "0" * 33):
        response = server.api(f"/api/v1/events/{bad}")
        assert response.status_code == 400, bad
        assert "32 hex" in response.json()["detail"]
    unknown = server.api(f"/api/v1/events/{uuid.uuid4().hex}")
    assert unknown.status_code == 404 and unknown.json()["detail"].startswith("no event ")
    assert server.api(f"/api/v1/issues/{issue['id'] + 1000}/events").status_code == 404
    assert server.api(f"/api/v1/projects/{slug}/events", cursor="garbage").status_code == 400


# -- docs and health ----------------------------------------------------------------


def test_docs_openapi_and_health(sqlite_server: LiveServer) -> None:
    url = sqlite_server.url
    docs = httpx.get(url + "/docs", timeout=10)
    assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
    assert "swagger" in docs.text.lower()
    schema = httpx.get(url + "/openapi.json", timeout=10).json()
    assert schema["info"]["title"] == "Faultbox"
    assert {
        "/api/v1/projects",
        "/api/v1/projects/{slug}",
        "/api/v1/projects/{slug}/issues",
        "/api/v1/projects/{slug}/events",
        "/api/v1/issues/{issue_id}",
        "/api/v1/issues/{issue_id}/events",
        "/api/v1/events/{event_id}",
    } <= set(schema["paths"])
    assert "/healthz" not in schema["paths"]

    health = httpx.get(url + "/healthz", timeout=10)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    ready = httpx.get(url + "/readyz", timeout=10)
    assert ready.status_code == 200 and ready.json()["status"] == "ok"
    checks = ready.json()["checks"]
    assert (checks["database"], checks["worker"]) == ("ok", "ok")
    assert checks["queue_depth"].isdigit()

"""The issue stream over HTTP: search, sort, pagination, bulk actions, saved searches."""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.support import LiveServer
from tests.web._signin import other_team_project
from tests.web.admin_client import admin, close_browsers, person, sign_in  # noqa: F401

ROW = re.compile(r'data-issue-id="(\d+)"')


def _event(kind: str, message: str, **extra: Any) -> dict[str, Any]:
    return {
        "platform": "python",
        "level": "error",
        "exception": {
            "values": [
                {
                    "type": kind,
                    "value": message,
                    "stacktrace": {
                        "frames": [
                            {
                                "function": f"handle_{kind.lower()}",
                                "module": "shop.checkout",
                                "filename": "shop/checkout.py",
                                "lineno": 10,
                                "context_line": f"    raise {kind}('{message}')",
                                "in_app": True,
                            }
                        ]
                    },
                }
            ]
        },
        **extra,
    }


def _send(server: LiveServer, events: list[dict[str, Any]]) -> None:
    for event in events:
        server.send_event(uuid.uuid4().hex, event)
    server.wait_events(len(events))


def _ids(html: str) -> list[int]:
    return [int(i) for i in ROW.findall(html)]


def _stream(server: LiveServer) -> str:
    return f"/projects/{server.project.slug}/issues"


def test_stream_lists_searches_and_sorts(live_server: LiveServer) -> None:
    _send(
        live_server,
        [
            _event("TimeoutError", "payment gateway timed out", release="1.4.2"),
            _event("KeyError", "missing sku", environment="staging"),
            _event("KeyError", "missing sku", environment="staging"),
        ],
    )
    browser = admin(live_server)
    page = browser.get(_stream(live_server))
    assert page.status_code == 200
    assert "payment gateway timed out" in page.text and "missing sku" in page.text
    assert len(_ids(page.text)) == 2
    assert "<svg" in page.text  # sparklines

    found = browser.get(_stream(live_server), params={"q": '"timed out"'})
    assert "payment gateway timed out" in found.text and "missing sku" not in found.text
    by_release = browser.get(_stream(live_server), params={"q": "release:1.4.2"})
    assert len(_ids(by_release.text)) == 1
    negated = browser.get(_stream(live_server), params={"q": "!environment:staging"})
    assert "missing sku" not in negated.text and "timed out" in negated.text

    by_events = _ids(browser.get(_stream(live_server), params={"sort": "times_seen"}).text)
    issues = {i["title"]: i["id"] for i in live_server.issues()}
    assert by_events[0] == issues["KeyError: missing sku"]

    fragment = browser.client.get(
        _stream(live_server), params={"q": "KeyError"}, headers={"hx-request": "true"}
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "missing sku" in fragment.text


def test_bad_query_is_explained_not_a_500(sqlite_server: LiveServer) -> None:
    browser = admin(sqlite_server)
    page = browser.get(_stream(sqlite_server), params={"q": "is:nonsense"})
    assert page.status_code == 400
    assert "data-search-error" in page.text and "nonsense" in page.text
    assert browser.get(_stream(sqlite_server), params={"cursor": "garbage"}).status_code == 400
    long = browser.get(_stream(sqlite_server), params={"q": "x" * 5000})
    assert long.status_code == 422


def test_pagination_reaches_every_issue_once(sqlite_server: LiveServer) -> None:
    _send(sqlite_server, [_event(f"Error{n}", f"failure number {n}") for n in range(55)])
    browser = admin(sqlite_server)
    first = browser.get(_stream(sqlite_server))
    next_link = re.search(r'href="([^"]+)"[^>]*data-next-page', first.text)
    assert next_link
    second = browser.get(next_link.group(1).replace("&amp;", "&"))
    seen = _ids(first.text) + _ids(second.text)
    assert len(seen) == 55 == len(set(seen))
    assert "data-next-page" not in second.text


def test_bulk_resolve_assign_ignore_merge(sqlite_server: LiveServer) -> None:
    _send(sqlite_server, [_event("A", "one"), _event("B", "two"), _event("C", "three")])
    ids = sorted(i["id"] for i in sqlite_server.issues())
    browser = admin(sqlite_server)
    stream = _stream(sqlite_server)
    browser.get(stream)

    done = browser.post(f"{stream}/bulk", {"action": "resolve", "issue_ids": [ids[0]]})
    assert done.status_code == 303 and "done=resolve" in done.headers["location"]
    assert browser.get(done.headers["location"]).text.count("Resolved 1 issue") == 1
    assert sqlite_server.api_json(f"/api/v1/issues/{ids[0]}")["status"] == "resolved"

    admin_id = sqlite_server.api_json(f"/api/v1/issues/{ids[1]}")  # exists
    assert admin_id
    browser.post(f"{stream}/bulk", {"action": "assign", "issue_ids": [ids[1]], "assignee": "1"})
    assert sqlite_server.api_json(f"/api/v1/issues/{ids[1]}")["assignee"] == "admin@example.com"

    browser.post(f"{stream}/bulk", {"action": "ignore", "issue_ids": [ids[2]]})
    assert sqlite_server.api_json(f"/api/v1/issues/{ids[2]}")["status"] == "ignored"

    merged = browser.post(f"{stream}/bulk", {"action": "merge", "issue_ids": ids[1:]})
    assert merged.status_code == 303
    assert len(sqlite_server.issues()) == 2

    # A workflow refusal is counted, not an error: resolved → resolved is no move, but
    # resolved → unresolve (investigating) is allowed.
    reopened = browser.post(f"{stream}/bulk", {"action": "unresolve", "issue_ids": [ids[0]]})
    assert reopened.status_code == 303
    assert sqlite_server.api_json(f"/api/v1/issues/{ids[0]}")["status"] == "investigating"


def test_bulk_refuses_bad_input_and_other_projects(sqlite_server: LiveServer) -> None:
    _send(sqlite_server, [_event("A", "one")])
    [issue] = sqlite_server.issues()
    browser = admin(sqlite_server)
    stream = _stream(sqlite_server)
    browser.get(stream)
    assert browser.post(f"{stream}/bulk", {"action": "explode", "issue_ids": [issue["id"]]})
    bad = browser.post(f"{stream}/bulk", {"action": "explode", "issue_ids": [issue["id"]]})
    assert bad.status_code == 400 and "unknown action" in bad.text
    assert browser.post(f"{stream}/bulk", {"action": "resolve"}).status_code == 422
    assert (
        browser.post(f"{stream}/bulk", {"action": "merge", "issue_ids": [issue["id"]]}).status_code
        == 400
    )
    missing = browser.post(f"{stream}/bulk", {"action": "resolve", "issue_ids": [999999]})
    assert missing.status_code == 404
    no_token = browser.client.post(
        f"{stream}/bulk", data={"action": "resolve", "issue_ids": [issue["id"]]}
    )
    assert no_token.status_code == 403
    assert sqlite_server.api_json(f"/api/v1/issues/{issue['id']}")["status"] == "detected"

    hidden = other_team_project(sqlite_server)
    person(sqlite_server.engine, "viewer@example.com", role="viewer")
    viewer = sign_in(sqlite_server, "viewer@example.com")
    page = viewer.get(stream)
    assert page.status_code == 200 and "data-bulk-actions" not in page.text
    forged = viewer.post(f"{stream}/bulk", {"action": "resolve", "issue_ids": [issue["id"]]})
    assert forged.status_code == 403
    assert viewer.get(f"/projects/{hidden.slug}/issues").status_code == 404
    assert sqlite_server.api_json(f"/api/v1/issues/{issue['id']}")["status"] == "detected"


def test_saved_searches(sqlite_server: LiveServer) -> None:
    browser = admin(sqlite_server)
    stream = _stream(sqlite_server)
    searches = f"/projects/{sqlite_server.project.slug}/searches"
    browser.get(stream)
    saved = browser.post(
        f"{searches}", {"name": "Checkout timeouts", "q": '"timed out"', "sort": "users"}
    )
    assert saved.status_code == 303, saved.text
    page = browser.get(stream)
    assert "Checkout timeouts" in page.text and "data-saved-search" in page.text
    again = browser.post(f"{searches}", {"name": "Checkout timeouts", "q": "x"})
    assert again.status_code == 409
    assert browser.post(f"{searches}", {"name": "  ", "q": "x"}).status_code == 400
    assert browser.post(f"{searches}", {"name": "n", "q": "x", "sort": "no"}).status_code == 400
    search_id = re.search(r"/searches/(\d+)/delete", page.text)
    assert search_id

    person(sqlite_server.engine, "member@example.com", role="member")
    other = sign_in(sqlite_server, "member@example.com")
    other.get(stream)
    assert "Checkout timeouts" not in other.get(stream).text  # saved searches are per user
    assert other.post(f"{searches}/{search_id.group(1)}/delete").status_code == 404

    assert browser.post(f"{searches}/{search_id.group(1)}/delete").status_code == 303
    assert "Checkout timeouts" not in browser.get(stream).text

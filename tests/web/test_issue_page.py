"""The issue page over HTTP: what it shows (escaped), its controls, panels and limits."""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.support import LiveServer
from tests.web._signin import other_team_project
from tests.web.admin_client import admin, close_browsers, person, sign_in  # noqa: F401

HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="alert(1)">'


def _event(message: str = "card declined", **extra: Any) -> dict[str, Any]:
    return {
        "platform": "python",
        "level": "error",
        "release": "shop@2.0.0",
        "environment": "production",
        "user": {"id": "42", "username": HOSTILE},
        "tags": {"checkout_step": HOSTILE},
        "request": {"method": "POST", "url": "https://shop.example/checkout?x=1"},
        "breadcrumbs": {"values": [{"category": "ui.click", "message": HOSTILE}]},
        "contexts": {"browser": {"name": "Chrome", "version": HOSTILE}},
        "exception": {
            "values": [
                {"type": "IOError", "value": "socket closed"},
                {
                    "type": "PaymentError",
                    "value": f"{message} {HOSTILE}",
                    "stacktrace": {
                        "frames": [
                            {
                                "function": "django_view",
                                "module": "django.core.handlers",
                                "filename": "django/core/handlers/base.py",
                                "lineno": 181,
                                "in_app": False,
                            },
                            {
                                "function": "charge",
                                "module": "shop.payments",
                                "filename": "shop/payments.py",
                                "lineno": 42,
                                "pre_context": ["def charge(card):"],
                                "context_line": "    raise PaymentError(reason)",
                                "post_context": [""],
                                "vars": {"card": HOSTILE, "amount": 12},
                                "in_app": True,
                            },
                        ]
                    },
                },
            ]
        },
        **extra,
    }


def _issue(server: LiveServer, events: int = 2) -> dict[str, Any]:
    for _ in range(events):
        server.send_event(uuid.uuid4().hex, _event())
    server.wait_events(events)
    [issue] = server.issues()
    return issue


def test_issue_page_shows_the_event_escaped(live_server: LiveServer) -> None:
    issue = _issue(live_server)
    page = admin(live_server).get(f"/issues/{issue['id']}")
    assert page.status_code == 200
    html = page.text
    # Everything from the event is there, as text.
    for shown in ("PaymentError", "Caused by", "IOError", "shop.payments", "raise PaymentError"):
        assert shown in html
    assert "https://shop.example/checkout?x=1" in html and "ui.click" in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "<script>window.__pwned" not in html and 'onerror="alert' not in html
    assert "Content-Security-Policy" in page.headers or "content-security-policy" in page.headers
    assert "script-src 'self'" in page.headers["content-security-policy"]
    # In-app frame marked, library frame toggleable, locals behind a disclosure.
    assert 'class="frame in-app"' in html and 'class="frame library"' in html
    assert "local variables (2)" in html
    # The history chart and the panels' hooks.
    assert "<svg" in html and f"/issues/{issue['id']}/similar" in html


def test_event_navigation(sqlite_server: LiveServer) -> None:
    ids = [uuid.uuid4().hex for _ in range(3)]
    for n, event_id in enumerate(ids):
        sqlite_server.send_event(event_id, _event(timestamp=1_790_000_000 + n))
    sqlite_server.wait_events(3)
    [issue] = sqlite_server.issues()
    browser = admin(sqlite_server)
    latest = browser.get(f"/issues/{issue['id']}").text
    assert f"data-event-id>{ids[2]}" in latest
    assert f'event={ids[1]}" data-nav="older"' in latest
    middle = browser.get(f"/issues/{issue['id']}", params={"event": ids[1]}).text
    assert f'event={ids[0]}" data-nav="older"' in middle
    assert f'event={ids[2]}" data-nav="newer"' in middle
    missing = browser.get(f"/issues/{issue['id']}", params={"event": "0" * 32})
    assert missing.status_code == 404
    assert browser.get(f"/issues/{issue['id']}", params={"event": "nothex"}).status_code == 422


def test_controls_change_status_severity_assignee(sqlite_server: LiveServer) -> None:
    issue = _issue(sqlite_server, 1)
    browser = admin(sqlite_server)
    url = f"/issues/{issue['id']}"
    browser.get(url)
    done = browser.post(f"{url}/update", {"status": "resolved", "severity": "P1", "assignee": "1"})
    assert done.status_code == 303
    state = sqlite_server.api_json(f"/api/v1/issues/{issue['id']}")
    assert (state["status"], state["severity"], state["assignee"]) == (
        "resolved",
        "P1",
        "admin@example.com",
    )
    refused = browser.post(f"{url}/update", {"status": "in_progress"})
    assert refused.status_code == 409 and "cannot go from resolved" in refused.text
    assert browser.post(f"{url}/update", {"status": "bogus"}).status_code == 400
    assert browser.post(f"{url}/update", {"severity": "P9"}).status_code == 400
    assert browser.post(f"{url}/update", {"assignee": "someone"}).status_code == 400
    assert browser.post(f"{url}/update", {"assignee": "none"}).status_code == 303
    assert sqlite_server.api_json(f"/api/v1/issues/{issue['id']}")["assignee"] is None
    activity = browser.get(url).text
    assert "status: detected → resolved" in activity


def test_catalogue_and_comments(sqlite_server: LiveServer) -> None:
    issue = _issue(sqlite_server, 1)
    browser = admin(sqlite_server)
    url = f"/issues/{issue['id']}"
    browser.get(url)
    saved = browser.post(f"{url}/catalogue", {"field": "runbook", "text": "1. Restart *workers*"})
    assert saved.status_code == 303
    page = browser.get(url).text
    assert "<em>workers</em>" in page
    assert (
        sqlite_server.api_json(url.replace("/issues", "/api/v1/issues"))["catalogue"]["runbook"][
            "markdown"
        ]
        == "1. Restart *workers*"
    )
    assert browser.post(f"{url}/catalogue", {"field": "secrets", "text": "x"}).status_code == 400
    too_long = browser.post(f"{url}/catalogue", {"field": "runbook", "text": "x" * 100_001})
    assert too_long.status_code == 422

    posted = browser.post(f"{url}/comments", {"body": f"seen **twice** {HOSTILE}"})
    assert posted.status_code == 303
    comment_id = int(posted.headers["location"].rsplit("-", 1)[1])
    page = browser.get(url).text
    assert "<strong>twice</strong>" in page and "<script>window.__pwned" not in page
    assert browser.post(f"{url}/comments", {"body": "   "}).status_code == 400

    person(sqlite_server.engine, "member@example.com", role="member")
    member = sign_in(sqlite_server, "member@example.com")
    member.get(url)
    assert member.post(f"/comments/{comment_id}/delete").status_code == 403
    assert browser.post(f"/comments/{comment_id}/delete").status_code == 303
    assert browser.post(f"/comments/{comment_id}/delete").status_code == 404
    assert "seen <strong>twice" not in browser.get(url).text


def test_viewer_sees_no_controls_and_cannot_post(sqlite_server: LiveServer) -> None:
    issue = _issue(sqlite_server, 1)
    person(sqlite_server.engine, "viewer@example.com", role="viewer")
    viewer = sign_in(sqlite_server, "viewer@example.com")
    url = f"/issues/{issue['id']}"
    page = viewer.get(url).text
    assert "data-controls" not in page and "data-comment-form" not in page
    assert "Edit</summary>" not in page
    for path, form in (
        ("update", {"status": "resolved"}),
        ("catalogue", {"field": "runbook", "text": "x"}),
        ("comments", {"body": "hello"}),
    ):
        assert viewer.post(f"{url}/{path}", form).status_code == 403
    assert sqlite_server.api_json(f"/api/v1/issues/{issue['id']}")["status"] == "detected"


def test_hidden_and_merged_issues(sqlite_server: LiveServer) -> None:
    sqlite_server.send_event(uuid.uuid4().hex, _event())
    other = _event()
    other["exception"]["values"][1]["type"] = "RefundError"
    sqlite_server.send_event(uuid.uuid4().hex, other)
    sqlite_server.wait_events(2)
    a, b = sorted(i["id"] for i in sqlite_server.issues())
    browser = admin(sqlite_server)
    browser.get(f"/issues/{a}")
    browser.post(
        f"/projects/{sqlite_server.project.slug}/issues/bulk",
        {"action": "merge", "issue_ids": [a, b]},
    )
    kept = sqlite_server.issues()[0]["id"]
    gone = b if kept == a else a
    moved = browser.client.get(f"/issues/{gone}")
    assert moved.status_code == 301 and moved.headers["location"] == f"/issues/{kept}"
    assert browser.get("/issues/987654").status_code == 404
    assert browser.get("/issues/0").status_code == 404

    hidden = other_team_project(sqlite_server)
    person(sqlite_server.engine, "outsider@example.com", role="owner", team="others")
    outsider = sign_in(sqlite_server, "outsider@example.com")
    assert outsider.get(f"/issues/{kept}").status_code == 404
    assert outsider.get(f"/issues/{kept}/similar").status_code == 404
    assert outsider.get(f"/issues/{kept}/report").status_code == 404
    assert hidden.slug


def test_panels_similar_grouping_diff_report(sqlite_server: LiveServer) -> None:
    ids = [uuid.uuid4().hex for _ in range(2)]
    for event_id in ids:
        sqlite_server.send_event(event_id, _event())
    similar_bug = _event()
    similar_bug["exception"]["values"][1]["type"] = "RefundError"
    sqlite_server.send_event(uuid.uuid4().hex, similar_bug)
    sqlite_server.wait_events(3)
    issue = next(i for i in sqlite_server.issues() if i["title"].startswith("PaymentError"))
    browser = admin(sqlite_server)
    url = f"/issues/{issue['id']}"

    similar = browser.client.get(f"{url}/similar", headers={"hx-request": "true"})
    assert similar.status_code == 200 and "RefundError" in similar.text
    grouping = browser.get(f"{url}/grouping", params={"event": ids[0]})
    assert grouping.status_code == 200 and "default algorithm" in grouping.text
    assert "shop.payments" in grouping.text
    assert browser.get(f"{url}/grouping", params={"event": "f" * 32}).status_code == 404

    diff = browser.get(f"{url}/diff", params={"left": ids[0], "right": ids[1]})
    assert diff.status_code == 200 and "Same path through the app" in diff.text
    assert browser.get(f"{url}/diff", params={"left": "x", "right": ids[1]}).status_code == 400
    assert browser.get(f"{url}/diff", params={"left": "a" * 32, "right": ids[1]}).status_code == 404

    report = browser.get(f"{url}/report")
    assert report.status_code == 200 and "data-report" in report.text
    assert "<script>window.__pwned" not in report.text
    markdown = browser.get(f"{url}/report.md")
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert re.search(r"PaymentError", markdown.text)

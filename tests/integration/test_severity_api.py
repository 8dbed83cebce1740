"""Severity rules, taxonomy and overdue flags through the HTTP API, with events from
the real sentry-sdk and a pinned clock (the digest runs in a thread of the test
server, so it reads the same clock)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sentry_sdk

from faultbox import clock
from tests.support import LiveServer, wait_for

RULES = "# payments first\nservice:payments level:error -> P1\nlevel:fatal -> P0\n"


@pytest.fixture
def sdk(live_server: LiveServer) -> Iterator[LiveServer]:
    sentry_sdk.init(dsn=live_server.dsn, release="shop@1.0.0")
    clock.pin(time.time())
    yield live_server
    clock.pin(None)
    sentry_sdk.get_client().close(timeout=5)


def charge(amount: str) -> None:
    raise ConnectionError(f"payment gateway refused {amount}")


def average(values: list[int]) -> float:
    return sum(values) / len(values)


def _send(server: LiveServer) -> dict[str, dict[str, Any]]:
    """Three issues: a payments ConnectionError, a ZeroDivisionError, a fatal message."""
    try:
        charge("12.00")
    except ConnectionError:
        with sentry_sdk.new_scope() as scope:
            scope.set_tag("service", "payments")
            sentry_sdk.capture_exception()
    # Explicit tags: an earlier test's scope may still carry a service.
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("service", "reports")
        try:
            average([])
        except ZeroDivisionError:
            sentry_sdk.capture_exception()
        sentry_sdk.capture_message("disk /var is gone", level="fatal")
    sentry_sdk.flush(timeout=10)
    server.wait_events(3)
    found = wait_for(lambda: len(server.issues()) == 3 and server.issues())
    return {
        "payments": next(i for i in found if "payment gateway" in i["title"]),
        "average": next(i for i in found if "ZeroDivisionError" in i["title"]),
        "fatal": next(i for i in found if "disk" in i["title"]),
    }


def _url(server: LiveServer, suffix: str = "") -> str:
    return f"{server.url}/api/v1/projects/{server.project.slug}/severity-rules{suffix}"


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_new_issues_get_severity_from_rules_or_the_default_and_go_overdue(
    sdk: LiveServer,
) -> None:
    server = sdk
    writer = server.admin_token(["project:read", "project:write", "event:read", "event:write"])
    saved = httpx.put(_url(server), headers=_auth(writer), json={"rules": RULES})
    assert saved.status_code == 200, saved.text
    assert [(r["line"], r["severity"]) for r in saved.json()["parsed"]] == [(2, "P1"), (3, "P0")]

    issues = _send(server)
    payments, average_, fatal = issues["payments"], issues["average"], issues["fatal"]
    assert (payments["severity"], payments["severity_reason"]) == (
        "P1",
        "project rule (line 2): service:payments level:error -> P1",
    )
    assert (fatal["severity"], fatal["severity_reason"]) == (
        "P0",
        "project rule (line 3): level:fatal -> P0",
    )
    assert (average_["severity"], average_["severity_reason"]) == (
        "P2",
        "default for level error: P2",
    )
    assert (payments["taxonomy"], average_["taxonomy"]) == ("integration", "logic")
    assert "ConnectionError" in payments["taxonomy_reason"]
    assert "ZeroDivisionError" in average_["taxonomy_reason"]
    assert all(not i["overdue"] and i["overdue_since"] is None for i in issues.values())
    assert fatal["response_due_at"] is not None

    log = server.api_json(f"/api/v1/issues/{payments['id']}/activity")["data"]
    assert [(e["kind"], e["new"], e["user"]) for e in log] == [
        ("created", "detected", None),
        ("severity", "P1", None),
        ("taxonomy", "integration", None),
    ]
    assert log[1]["note"] == payments["severity_reason"]

    def overdue_titles() -> set[str]:
        return {i["title"] for i in server.issues(overdue="true")}

    assert overdue_titles() == set()
    assert {i["id"] for i in server.issues(severity="p1")} == {payments["id"]}

    # 15 minutes (and a margin for the events' own timestamps) later: P0 is overdue.
    clock.advance(15 * 60 + 30)
    late = server.api_json(f"/api/v1/issues/{fatal['id']}")
    assert late["overdue"] and late["overdue_since"] is not None
    assert overdue_titles() == {fatal["title"]}
    assert {i["title"] for i in server.issues(overdue="false")} == {
        payments["title"],
        average_["title"],
    }
    # An hour: P1 too. Acknowledging (any change by a person) clears the flag.
    clock.advance(45 * 60)
    assert overdue_titles() == {fatal["title"], payments["title"]}
    ack = httpx.patch(
        f"{server.url}/api/v1/issues/{fatal['id']}",
        headers=_auth(writer),
        json={"status": "investigating"},
    )
    assert ack.status_code == 200, ack.text
    assert overdue_titles() == {payments["title"]}
    assert server.api_json(f"/api/v1/issues/{fatal['id']}")["overdue"] is False
    # Four hours: P2 joins; the acknowledged P0 stays off the list.
    clock.advance(3 * 3600)
    assert overdue_titles() == {payments["title"], average_["title"]}
    assert {i["title"] for i in server.issues(overdue="true", severity="P2")} == {average_["title"]}

    # A dry run of other rules shows which issues would change, and changes nothing.
    preview = httpx.post(
        _url(server, "/dry-run"),
        headers=_auth(server.token),
        json={"rules": "error.type:ZeroDivisionError -> P0\nlevel:fatal -> P0"},
    )
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["issues_checked"] == 3
    assert body["by_severity"] == {"P0": 2, "P1": 0, "P2": 1, "P3": 0}
    changed = {c["issue_id"]: (c["severity"], c["proposed"]) for c in body["would_change"]}
    assert changed == {average_["id"]: ("P2", "P0"), payments["id"]: ("P1", "P2")}
    assert server.api_json(f"/api/v1/issues/{average_['id']}")["severity"] == "P2"


def test_severity_rules_api_validates(live_server: LiveServer) -> None:
    server = live_server
    writer = _auth(server.admin_token(["project:read", "project:write"]))
    reader = _auth(server.token)
    empty = httpx.get(_url(server), headers=reader).json()
    assert (empty["rules"], empty["parsed"]) == ("", [])
    assert empty["defaults"] == {
        "fatal": "P1",
        "error": "P2",
        "warning": "P3",
        "info": "P3",
        "debug": "P3",
    }
    assert empty["targets_seconds"] == {"P0": 900, "P1": 3600, "P2": 14400, "P3": 86400}

    # project:write is needed to change them, project:read to see them.
    assert httpx.put(_url(server), headers=reader, json={"rules": RULES}).status_code == 403
    events_only = _auth(server.admin_token(["event:read"]))
    assert httpx.get(_url(server), headers=events_only).status_code == 403
    assert httpx.get(_url(server)).status_code == 401
    missing = f"{server.url}/api/v1/projects/nope/severity-rules"
    assert httpx.get(missing, headers=reader).status_code == 404

    for rules, needle in [
        ("level:fatal -> P0\nlevel:error -> P7", "line 2, column 16: unknown severity 'P7'"),
        ("# ok\n\nservce:payments -> P1", "line 3, column 1: unknown matcher 'servce'"),
        ("level:fatal", "line 1, column 12: missing '->' between matchers and severity"),
        ("level:fatal -> P0 P1", "line 1, column 19: one severity per rule"),
    ]:
        bad = httpx.put(_url(server), headers=writer, json={"rules": rules})
        assert bad.status_code == 400 and needle in bad.json()["detail"], bad.text
        dry = httpx.post(_url(server, "/dry-run"), headers=reader, json={"rules": rules})
        assert dry.status_code == 400 and needle in dry.json()["detail"]
    for body in ({"rules": 5}, {}, {"rules": None}):
        bad = httpx.put(_url(server), headers=writer, json=body)
        assert bad.status_code == 400 and "rules" in bad.json()["detail"]
    assert httpx.put(_url(server), headers=writer, content=b"[1]").status_code == 422
    assert httpx.get(_url(server), headers=reader).json()["rules"] == ""  # nothing stored

    assert httpx.put(_url(server), headers=writer, json={"rules": RULES}).status_code == 200
    assert httpx.get(_url(server), headers=reader).json()["rules"] == RULES
    cleared = httpx.put(_url(server), headers=writer, json={"rules": "  \n"})
    assert cleared.status_code == 200 and cleared.json()["parsed"] == []
    assert httpx.get(_url(server), headers=reader).json()["rules"] == ""  # the defaults again


def test_issue_list_rejects_an_unknown_severity(live_server: LiveServer) -> None:
    bad = live_server.api(f"/api/v1/projects/{live_server.project.slug}/issues", severity="P9")
    assert bad.status_code == 400 and "one of P0, P1, P2, P3" in bad.json()["detail"]
    odd = live_server.api(f"/api/v1/projects/{live_server.project.slug}/issues", overdue="maybe")
    assert odd.status_code == 422

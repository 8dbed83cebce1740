"""Regressions, resolve in the next release and ignore-until, end to end: events from
the real sentry-sdk, status changes through PATCH /api/v1/issues/{id}, a pinned
clock instead of sleeps."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sentry_sdk

from faultbox import clock
from faultbox.lifecycle import hooks
from faultbox.query.timefmt import iso
from tests.support import LiveServer, wait_for


class Sender:
    """One sentry-sdk client; each capture may override release, user and time."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.sent = 0
        self.override: dict[str, Any] = {}
        sentry_sdk.init(dsn=server.dsn, release="shop@1.0.0", before_send=self._before_send)

    def _before_send(self, event: Any, hint: Any) -> Any:
        for key, value in self.override.items():
            if value is None:
                event.pop(key, None)
            else:
                event[key] = value
        return event

    def capture(self, bug: Any, release: str | None = "shop@1.0.0", **override: Any) -> None:
        self.override = {"release": release, **override}
        try:
            bug()
        except Exception:
            sentry_sdk.capture_exception()
        sentry_sdk.flush(timeout=10)
        self.sent += 1
        self.server.wait_events(self.sent)  # stored, so its batch's lifecycle committed


@pytest.fixture
def sender(live_server: LiveServer) -> Iterator[Sender]:
    # Pinned at the wall time: events carry the SDK's real timestamps, a little later.
    clock.pin(float(int(time.time())))
    yield Sender(live_server)
    clock.pin(None)
    sentry_sdk.get_client().close(timeout=5)


@pytest.fixture
def regressions() -> Iterator[list[hooks.Regression]]:
    heard: list[hooks.Regression] = []
    unsubscribe = hooks.on_regression(heard.append)
    yield heard
    unsubscribe()


def checkout() -> None:
    raise RuntimeError("checkout failed")


def refund() -> None:
    raise LookupError("refund not found")


def _issue(server: LiveServer, bug: Any) -> dict[str, Any]:
    found: dict[str, Any] = wait_for(
        lambda: next((i for i in server.issues() if bug.__name__ in (i["culprit"] or "")), None)
    )
    return found


def _get(server: LiveServer, issue_id: int) -> dict[str, Any]:
    issue: dict[str, Any] = server.api_json(f"/api/v1/issues/{issue_id}")
    return issue


def _patch(server: LiveServer, issue_id: int, body: Any) -> dict[str, Any]:
    response = httpx.patch(
        f"{server.url}/api/v1/issues/{issue_id}",
        json=body,
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    issue: dict[str, Any] = response.json()
    return issue


def _activity(server: LiveServer, issue_id: int, kind: str) -> list[dict[str, Any]]:
    data = server.api_json(f"/api/v1/issues/{issue_id}/activity")["data"]
    return [a for a in data if a["kind"] == kind]


def test_resolved_in_release_reopens_only_for_a_newer_release(
    sender: Sender, regressions: list[hooks.Regression]
) -> None:
    server = sender.server
    sender.capture(checkout, "shop@1.0.0")
    issue = _issue(server, checkout)
    _patch(server, issue["id"], {"status": "resolved", "resolved_in_release": "shop@1.1.0"})

    # Clients that have not upgraded, the fixed release itself, an event without a
    # release: none of them says the fix failed.
    sender.capture(checkout, "shop@1.0.0")
    sender.capture(checkout, "shop@1.1.0")
    sender.capture(checkout, None)
    sender.capture(checkout, "shop@1.1.0-rc.2")  # a pre-release ranks below 1.1.0
    still = _get(server, issue["id"])
    assert still["status"] == "resolved" and still["is_regression"] is False
    assert regressions == []

    clock.advance(60)
    sender.capture(checkout, "shop@1.2.0")
    reopened = _get(server, issue["id"])
    assert reopened["status"] == "detected" and reopened["is_regression"] is True
    assert reopened["regressed_at"] == _iso(clock.now())
    assert reopened["resolved_at"] is None and reopened["acknowledged_at"] is None
    assert reopened["resolved_in_release"] is None
    [entry] = _activity(server, issue["id"], "regression")
    assert (entry["old"], entry["new"], entry["user"]) == ("shop@1.1.0", "shop@1.2.0", None)
    assert entry["note"].startswith("resolved → detected")
    assert [(r.issue_id, r.release, r.resolved_in_release) for r in regressions] == [
        (issue["id"], "shop@1.2.0", "shop@1.1.0")
    ]

    # The hook fires once per regression: more events of the open issue are no news.
    sender.capture(checkout, "shop@1.2.0")
    assert len(regressions) == 1 and len(_activity(server, issue["id"], "regression")) == 1


def test_plain_resolve_reopens_on_a_later_event_only(
    sender: Sender, regressions: list[hooks.Regression]
) -> None:
    server = sender.server
    sender.capture(checkout)
    issue = _issue(server, checkout)
    _patch(server, issue["id"], {"status": "resolved"})
    resolved_at = clock.now()

    # Delivered now, but it happened before the fix (an offline client catching up).
    sender.capture(checkout, "shop@9.9.9", timestamp=resolved_at - 120)
    assert _get(server, issue["id"])["status"] == "resolved"

    sender.capture(checkout, "shop@1.0.0")  # after the resolve: any release reopens
    reopened = _get(server, issue["id"])
    assert reopened["status"] == "detected" and reopened["is_regression"] is True
    [entry] = _activity(server, issue["id"], "regression")
    assert entry["old"] is None and entry["new"] == "shop@1.0.0"
    assert "after it was resolved" in entry["note"]
    assert len(regressions) == 1 and regressions[0].event_id


def test_verified_and_closed_issues_regress_too(sender: Sender) -> None:
    server = sender.server
    sender.capture(checkout, "shop@1.0.0")
    issue = _issue(server, checkout)
    _patch(server, issue["id"], {"status": "resolved", "resolved_in_release": "shop@1.0.1"})
    _patch(server, issue["id"], {"status": "verified"})
    _patch(server, issue["id"], {"status": "closed"})
    sender.capture(checkout, "shop@1.0.2")
    assert _get(server, issue["id"])["status"] == "detected"
    [entry] = _activity(server, issue["id"], "regression")
    assert entry["note"].startswith("closed → detected")


def test_resolve_in_next_release_waits_for_the_next_release(
    sender: Sender, regressions: list[hooks.Regression]
) -> None:
    server = sender.server
    sender.capture(checkout, "shop@1.0.0")
    issue = _issue(server, checkout)
    pending = _patch(server, issue["id"], {"status": "resolved", "resolve_in_next_release": True})
    assert pending["resolved_in_release"] == "shop@1.0.0" and pending["resolve_in_next_release"]

    # Still running the release it was resolved on: the fix has not shipped.
    sender.capture(checkout, "shop@1.0.0")
    assert _get(server, issue["id"])["status"] == "resolved"

    # Another issue's event brings the next release: it is the one with the fix.
    sender.capture(refund, "shop@1.1.0")
    settled = _get(server, issue["id"])
    assert settled["status"] == "resolved"
    assert settled["resolved_in_release"] == "shop@1.1.0"
    assert settled["resolve_in_next_release"] is False
    [entry] = _activity(server, issue["id"], "release")
    assert (entry["field"], entry["old"], entry["new"]) == (
        "resolved_in_release",
        "shop@1.0.0",
        "shop@1.1.0",
    )

    sender.capture(checkout, "shop@1.1.0")  # the fix release itself: not a regression
    assert _get(server, issue["id"])["status"] == "resolved"
    sender.capture(checkout, "shop@1.2.0")
    assert _get(server, issue["id"])["status"] == "detected"
    assert [r.resolved_in_release for r in regressions] == ["shop@1.1.0"]


def test_resolve_in_next_release_settled_by_a_release_created_through_the_api(
    sender: Sender,
) -> None:
    server = sender.server
    sender.capture(checkout, "shop@1.0.0")
    issue = _issue(server, checkout)
    _patch(server, issue["id"], {"status": "resolved", "resolve_in_next_release": True})
    token = server.admin_token(["project:releases", "project:read"])
    older = _post(
        server, "/api/v1/releases", {"project": "backend", "version": "shop@0.9.0"}, token
    )
    assert older.status_code == 201
    assert _get(server, issue["id"])["resolve_in_next_release"] is True  # older: not the fix
    created = _post(
        server, "/api/v1/releases", {"project": "backend", "version": "shop@1.0.1"}, token
    )
    assert created.status_code == 201, created.text
    settled = _get(server, issue["id"])
    assert settled["resolved_in_release"] == "shop@1.0.1"
    assert settled["resolve_in_next_release"] is False
    sender.capture(checkout, "shop@1.0.2")
    assert _get(server, issue["id"])["status"] == "detected"


def test_ignore_until_a_time(sender: Sender) -> None:
    server = sender.server
    sender.capture(checkout)
    issue = _issue(server, checkout)
    until = clock.now() + 3600
    _patch(server, issue["id"], {"status": "ignored", "ignore": {"until": str(until)}})
    sender.capture(checkout)
    assert _get(server, issue["id"])["status"] == "ignored"

    clock.advance(3600)
    sender.capture(checkout)
    back = _get(server, issue["id"])
    assert back["status"] == "detected" and back["ignore"] is None
    [entry] = _activity(server, issue["id"], "unignored")
    assert (entry["old"], entry["new"]) == ("ignored", "detected")
    assert entry["note"].startswith("time:")


def test_ignore_until_a_time_ends_without_events(sender: Sender) -> None:
    """An issue that stays quiet is brought back by the worker's sweep."""
    server = sender.server
    sender.capture(checkout)
    issue = _issue(server, checkout)
    _patch(server, issue["id"], {"status": "ignored", "ignore": {"until": str(clock.now() + 60)}})
    worker = server.app.state.worker
    assert worker.sweep() == 0
    clock.advance(61)
    assert worker.sweep() == 1
    assert _get(server, issue["id"])["status"] == "detected"
    assert _activity(server, issue["id"], "unignored")[0]["note"].startswith("time:")


def test_ignore_until_more_events(sender: Sender) -> None:
    server = sender.server
    sender.capture(checkout)
    issue = _issue(server, checkout)
    _patch(server, issue["id"], {"status": "ignored", "ignore": {"more_events": 2}})
    sender.capture(checkout)
    assert _get(server, issue["id"])["status"] == "ignored"
    sender.capture(checkout)
    assert _get(server, issue["id"])["status"] == "detected"
    [entry] = _activity(server, issue["id"], "unignored")
    assert entry["note"].startswith("count: 3 events")


def test_ignore_until_more_users(sender: Sender) -> None:
    server = sender.server
    sender.capture(checkout, user={"id": "ann"})
    issue = _issue(server, checkout)
    _patch(server, issue["id"], {"status": "ignored", "ignore": {"more_users": 2}})
    sender.capture(checkout, user={"id": "ann"})  # a user already counted
    sender.capture(checkout, user={"id": "bob"})
    assert _get(server, issue["id"])["status"] == "ignored"
    sender.capture(checkout, user={"id": "cid"})
    assert _get(server, issue["id"])["status"] == "detected"
    [entry] = _activity(server, issue["id"], "unignored")
    assert entry["note"].startswith("users: 3 users")


def test_ignored_forever_stays_ignored(sender: Sender) -> None:
    server = sender.server
    sender.capture(checkout)
    issue = _issue(server, checkout)
    _patch(server, issue["id"], {"status": "ignored"})
    clock.advance(10 * 86400)
    sender.capture(checkout, "shop@5.0.0", user={"id": "someone"})
    assert server.app.state.worker.sweep() == 0
    assert _get(server, issue["id"])["status"] == "ignored"


def _post(server: LiveServer, path: str, body: Any, token: str) -> httpx.Response:
    return httpx.post(
        server.url + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def _iso(ts: float) -> str:
    return iso(ts) or ""

"""The official sentry-sdk against a live Faultbox: what users do on day one."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
import sentry_sdk
from sentry_sdk.integrations.logging import LoggingIntegration

from tests.support import LiveServer, wait_for


@pytest.fixture
def sdk(live_server: LiveServer) -> Iterator[LiveServer]:
    sentry_sdk.init(
        dsn=live_server.dsn,
        release="shop@1.4.2",
        environment="production",
        send_default_pii=True,
        integrations=[LoggingIntegration(level=logging.INFO, event_level=logging.ERROR)],
        default_integrations=True,
    )
    yield live_server
    sentry_sdk.get_client().close(timeout=5)


def _flush() -> None:
    sentry_sdk.flush(timeout=10)


def charge(amount: int) -> float:
    return 100 / amount


def checkout(amount: int) -> float:
    return charge(amount)


def _issue_by_title(server: LiveServer, fragment: str, **params: Any) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        for issue in server.issues(**params):
            if fragment in issue["title"]:
                return issue
        return None

    found: dict[str, Any] = wait_for(find)
    return found


def test_handled_exception_becomes_an_issue_with_user_tags_and_release(sdk: LiveServer) -> None:
    sentry_sdk.set_user({"id": "42", "email": "ada@example.com"})
    sentry_sdk.set_tag("service", "payments")
    sentry_sdk.add_breadcrumb(category="cart", message="added item 17", level="info")
    for _ in range(3):
        try:
            checkout(0)
        except ZeroDivisionError:
            sentry_sdk.capture_exception()
    _flush()
    issue = _issue_by_title(sdk, "ZeroDivisionError")
    assert issue["title"] == "ZeroDivisionError: division by zero"
    assert issue["short_id"].startswith("ERR-")
    assert "charge" in (issue["culprit"] or "")
    wait_for(lambda: sdk.api_json(f"/api/v1/issues/{issue['id']}")["count"] == 3)
    detail = sdk.api_json(f"/api/v1/issues/{issue['id']}")
    assert detail["user_count"] == 1
    assert detail["first_release"] == "shop@1.4.2"
    assert {"value": "payments", "count": 3} in detail["tags"]["service"]
    assert detail["tags"]["environment"] == [{"value": "production", "count": 3}]

    events = sdk.api_json(f"/api/v1/issues/{issue['id']}/events")["data"]
    assert len(events) == 3
    event = sdk.api_json(f"/api/v1/events/{events[0]['event_id']}")
    assert len(event["event_id"]) == 32 and event["issue_id"] == issue["id"]
    assert event["user"]["id"] == "42"
    assert event["tags"]["service"] == "payments"
    assert event["release"] == "shop@1.4.2" and event["environment"] == "production"
    assert any(b.get("message") == "added item 17" for b in event["breadcrumbs"])
    frames = event["exceptions"][-1]["frames"]
    assert [f["function"] for f in frames][-2:] == ["checkout", "charge"]
    assert frames[-1]["context_line"].strip() == "return 100 / amount"


def test_same_bug_from_two_call_paths_is_one_issue(sdk: LiveServer) -> None:
    try:
        checkout(0)
    except ZeroDivisionError:
        sentry_sdk.capture_exception()
    try:
        charge(0)
    except ZeroDivisionError:
        sentry_sdk.capture_exception()
    _flush()
    sdk.wait_events(2)
    assert [i["count"] for i in sdk.issues()] == [2]


def test_chained_exception_keeps_the_cause(sdk: LiveServer) -> None:
    def load() -> None:
        try:
            {}["missing"]
        except KeyError as exc:
            raise RuntimeError("config could not be loaded") from exc

    try:
        load()
    except RuntimeError:
        sentry_sdk.capture_exception()
    _flush()
    issue = _issue_by_title(sdk, "RuntimeError")
    assert issue["title"] == "RuntimeError: config could not be loaded"
    event_id = sdk.api_json(f"/api/v1/issues/{issue['id']}/events")["data"][0]["event_id"]
    event = sdk.api_json(f"/api/v1/events/{event_id}")
    assert [e["type"] for e in event["exceptions"]] == ["KeyError", "RuntimeError"]


def test_logging_error_with_parameters_groups_by_template(sdk: LiveServer) -> None:
    log = logging.getLogger("shop.orders")
    log.error("order %s failed for user %s", 1001, "ada")
    log.error("order %s failed for user %s", 2002, "bob")
    log.warning("not an event, only a breadcrumb")
    _flush()
    sdk.wait_events(2)
    issues = sdk.issues()
    assert len(issues) == 1
    assert issues[0]["count"] == 2
    assert issues[0]["level"] == "error"
    event_id = sdk.api_json(f"/api/v1/issues/{issues[0]['id']}/events")["data"][0]["event_id"]
    event = sdk.api_json(f"/api/v1/events/{event_id}")
    assert event["message_template"] == "order %s failed for user %s"
    assert event["message"] in ("order 1001 failed for user ada", "order 2002 failed for user bob")
    assert event["logger"] == "shop.orders"


def test_capture_message_levels(sdk: LiveServer) -> None:
    sentry_sdk.capture_message("cache warmed", level="info")
    sentry_sdk.capture_message("disk almost full", level="warning")
    _flush()
    sdk.wait_events(2)
    by_title = {i["title"]: i for i in sdk.issues()}
    assert by_title["cache warmed"]["level"] == "info"
    assert by_title["disk almost full"]["level"] == "warning"
    assert len(sdk.issues(level="warning")) == 1


def test_unhandled_exception_in_a_process_is_reported(live_server: LiveServer) -> None:
    script = textwrap.dedent(
        f"""
        import sentry_sdk
        sentry_sdk.init(dsn={live_server.dsn!r}, release="cron@2.0.0")
        def nightly_job():
            raise LookupError("no such tenant")
        nightly_job()
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert proc.returncode == 1 and b"LookupError" in proc.stderr
    issue = _issue_by_title(live_server, "LookupError")
    event_id = live_server.api_json(f"/api/v1/issues/{issue['id']}/events")["data"][0]["event_id"]
    event = live_server.api_json(f"/api/v1/events/{event_id}")
    assert event["exceptions"][-1]["mechanism"]["handled"] is False
    assert event["release"] == "cron@2.0.0"


def test_gzip_and_brotli_bodies_both_arrive(live_server: LiveServer) -> None:
    for algo in ("gzip", "br"):
        sentry_sdk.init(dsn=live_server.dsn, _experiments={"transport_compression_algo": algo})
        sentry_sdk.capture_message(f"sent with {algo}")
        sentry_sdk.get_client().close(timeout=10)
    live_server.wait_events(2)
    titles = {i["title"] for i in live_server.issues()}
    assert titles == {"sent with gzip", "sent with br"}


def test_transactions_and_sessions_are_accepted_but_not_issues(live_server: LiveServer) -> None:
    sentry_sdk.init(dsn=live_server.dsn, traces_sample_rate=1.0, release="r@1")
    with sentry_sdk.start_transaction(name="GET /health"):
        pass
    sentry_sdk.capture_message("after the transaction")
    sentry_sdk.get_client().close(timeout=10)
    live_server.wait_events(1)
    assert [i["title"] for i in live_server.issues()] == ["after the transaction"]

    def dropped() -> list[Any]:
        detail = live_server.api_json(f"/api/v1/projects/{live_server.project.slug}")
        return [o for o in detail["outcomes"] if o["category"] == "transaction"]

    outcomes = wait_for(dropped)
    assert outcomes[0]["outcome"] == "dropped" and outcomes[0]["quantity"] >= 1

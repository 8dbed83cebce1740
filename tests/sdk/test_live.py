"""faultbox_sdk against a real Faultbox server: what arrives, and how it groups."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sentry_sdk

import faultbox_sdk
from faultbox import clock
from tests.support import LiveServer, wait_for


def charge(amount: int, card_number: str, password: str) -> float:
    basket = {"sku": "A-17", "qty": 2}  # noqa: F841 - a local the event must carry
    return 100 / amount


def checkout(amount: int) -> float:
    return charge(amount, "4111 1111 1111 1111", "hunter2")


def _events(server: LiveServer, issue_id: int) -> list[dict[str, Any]]:
    listed = server.api_json(f"/api/v1/issues/{issue_id}/events")["data"]
    return [server.api_json(f"/api/v1/events/{e['event_id']}") for e in listed]


def _one_issue(server: LiveServer, count: int) -> dict[str, Any]:
    server.wait_events(count)
    wait_for(lambda: sum(i["count"] for i in server.issues()) >= count)
    (issue,) = server.issues()
    assert issue["count"] == count
    return issue


@pytest.fixture
def sdk_init(tmp_path: Path) -> Iterator[Any]:
    def init(server: LiveServer, **options: Any) -> None:
        faultbox_sdk.init(
            server.dsn,
            release="shop@2.0.0",
            environment="production",
            service_name="payments",
            buffer_dir=str(tmp_path / "outbox"),
            **options,
        )

    yield init
    faultbox_sdk.close()


@pytest.mark.parametrize("mode", ["native", "envelope"])
def test_capture_exception_arrives_with_frames_locals_and_context(
    live_server: LiveServer, sdk_init: Any, mode: str
) -> None:
    sdk_init(live_server, mode=mode)
    faultbox_sdk.set_user({"id": "42", "email": "ada@example.com"})
    faultbox_sdk.set_tag("region", "eu")
    faultbox_sdk.set_context("order", {"id": "o-9", "total": 30})
    logging.getLogger("shop").warning("payment provider slow")
    faultbox_sdk.add_breadcrumb("opened checkout", category="ui")
    try:
        checkout(0)
    except ZeroDivisionError:
        event_id = faultbox_sdk.capture_exception()
    assert event_id and faultbox_sdk.flush(10)

    issue = _one_issue(live_server, 1)
    assert issue["title"] == "ZeroDivisionError: division by zero"
    assert "charge" in (issue["culprit"] or "")
    (event,) = _events(live_server, issue["id"])
    frames = event["exceptions"][-1]["frames"]
    assert [f["function"] for f in frames][-2:] == ["checkout", "charge"]
    assert frames[-1]["context_line"].strip() == "return 100 / amount"
    assert event["user"]["id"] == "42"
    assert event["tags"]["service"] == "payments"
    # Both wire formats carry what the SDK captured as the event's own fields.
    assert event["event_id"] == event_id
    assert event["release"] == "shop@2.0.0" and event["environment"] == "production"
    assert event["tags"]["region"] == "eu"
    assert frames[-1]["module"] == __name__ and frames[-1]["in_app"] is True
    assert frames[-1]["vars"]["basket"] == {"sku": "A-17", "qty": 2}
    # Scrubbed in the app, before sending (the server would scrub these too).
    assert frames[-1]["vars"]["password"] == frames[-1]["vars"]["card_number"] == "[Filtered]"
    assert frames[-2]["vars"] == {"amount": 0}
    crumbs = [(b.get("category"), b.get("message")) for b in event["breadcrumbs"]]
    assert crumbs[-2:] == [("shop", "payment provider slow"), ("ui", "opened checkout")]
    assert event["breadcrumbs"][-1]["timestamp"] == pytest.approx(time.time(), abs=120)
    if mode == "envelope":
        assert event["contexts"]["order"] == {"id": "o-9", "total": 30}
    else:
        # The native contract has no field for contexts: they travel in its `context`.
        assert event["extra"]["faultbox_sdk"]["contexts"]["order"] == {"id": "o-9", "total": 30}
        assert "frames" not in event["extra"]["faultbox_sdk"]


@pytest.mark.parametrize("mode", ["native", "envelope"])
def test_the_same_bug_from_sentry_sdk_and_faultbox_sdk_is_one_issue(
    live_server: LiveServer, sdk_init: Any, mode: str
) -> None:
    # Both wire formats carry structured frames (module, function, source line), which
    # is what sentry-sdk's frames group on.
    sentry_sdk.init(dsn=live_server.dsn, release="shop@2.0.0", default_integrations=False)
    try:
        try:
            checkout(0)
        except ZeroDivisionError:
            sentry_sdk.capture_exception()
        sentry_sdk.flush(10)
    finally:
        sentry_sdk.get_client().close(timeout=5)
    sdk_init(live_server, mode=mode)
    try:
        charge(0, "", "")  # another call path into the same bug
    except ZeroDivisionError:
        faultbox_sdk.capture_exception()
    assert faultbox_sdk.flush(10)
    issue = _one_issue(live_server, 2)
    events = _events(live_server, issue["id"])
    sources = sorted(e["sdk"]["name"] if e.get("sdk") else e["source"] for e in events)
    assert sources == sorted(["sentry.python", "native" if mode == "native" else "faultbox.python"])
    assert {e["release"] for e in events} == {"shop@2.0.0"}
    assert {e["grouping"]["hash"] for e in events} == {events[0]["grouping"]["hash"]}


def test_native_mode_release_drives_a_regression(sqlite_server: LiveServer, tmp_path: Path) -> None:
    server, sdk_dir = sqlite_server, str(tmp_path / "outbox")

    def capture(release: str, count: int) -> None:
        faultbox_sdk.init(server.dsn, release=release, buffer_dir=sdk_dir)
        try:
            checkout(0)
        except ZeroDivisionError:
            faultbox_sdk.capture_exception()
        assert faultbox_sdk.flush(10)
        faultbox_sdk.close()
        server.wait_events(count)

    clock.pin(float(int(time.time())))
    try:
        capture("shop@2.0.0", 1)
        issue = _one_issue(server, 1)
        response = httpx.patch(
            f"{server.url}/api/v1/issues/{issue['id']}",
            json={"status": "resolved", "resolved_in_release": "shop@2.1.0"},
            headers={"Authorization": f"Bearer {server.token}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        capture("shop@2.0.0", 2)  # a client that has not upgraded: not a regression
        capture("shop@2.1.0", 3)  # the fixed release itself
        assert server.api_json(f"/api/v1/issues/{issue['id']}")["status"] == "resolved"
        clock.advance(60)
        capture("shop@2.2.0", 4)
        reopened = server.api_json(f"/api/v1/issues/{issue['id']}")
        assert reopened["status"] == "detected" and reopened["is_regression"] is True
        activity = server.api_json(f"/api/v1/issues/{issue['id']}/activity")["data"]
        [entry] = [a for a in activity if a["kind"] == "regression"]
        assert (entry["old"], entry["new"]) == ("shop@2.1.0", "shop@2.2.0")
    finally:
        clock.pin(None)


def test_native_mode_groups_the_same_bug_from_two_call_paths(
    sqlite_server: LiveServer, sdk_init: Any
) -> None:
    sdk_init(sqlite_server)
    for call in (lambda: checkout(0), lambda: charge(0, "", "")):
        try:
            call()
        except ZeroDivisionError:
            faultbox_sdk.capture_exception()
    try:
        int("x")
    except ValueError:
        faultbox_sdk.capture_exception()
    assert faultbox_sdk.flush(10)
    sqlite_server.wait_events(3)
    wait_for(lambda: len(sqlite_server.issues()) == 2)
    counts = {i["title"].split(":")[0]: i["count"] for i in sqlite_server.issues()}
    assert counts == {"ZeroDivisionError": 2, "ValueError": 1}


def test_a_process_that_captures_and_exits_at_once_still_delivers(
    sqlite_server: LiveServer, tmp_path: Path
) -> None:
    script = textwrap.dedent(
        f"""
        import faultbox_sdk
        faultbox_sdk.init({sqlite_server.dsn!r}, buffer_dir={str(tmp_path / "outbox")!r})
        try:
            {{}}["missing-key"]
        except KeyError:
            faultbox_sdk.capture_exception()
        raise SystemExit(0)  # no flush: the exit handler delivers
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    issue = _one_issue(sqlite_server, 1)
    assert issue["title"].startswith("KeyError")


def test_an_uncaught_exception_kills_the_process_and_still_arrives(
    sqlite_server: LiveServer, tmp_path: Path
) -> None:
    script = textwrap.dedent(
        f"""
        import faultbox_sdk
        faultbox_sdk.init({sqlite_server.dsn!r}, buffer_dir={str(tmp_path / "outbox")!r})
        def main():
            raise LookupError("the app died")
        main()
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert done.returncode == 1 and b"LookupError: the app died" in done.stderr
    issue = _one_issue(sqlite_server, 1)
    assert issue["title"] == "LookupError: the app died"
    (event,) = _events(sqlite_server, issue["id"])
    assert event["level"] == "fatal"


@pytest.mark.parametrize("mode", ["native", "envelope"])
def test_a_wrong_key_is_refused_once_and_not_retried(
    sqlite_server: LiveServer, tmp_path: Path, mode: str
) -> None:
    server = sqlite_server
    wrong = server.dsn.replace(server.project.public_key or "", "f" * 32)
    client = faultbox_sdk.init(wrong, mode=mode, buffer_dir=str(tmp_path / "outbox"))
    faultbox_sdk.capture_message("never stored", "error")
    assert faultbox_sdk.flush(10)  # settled: refused for good, nothing left to send
    assert client.transport.stats.refused == 1 and client.transport.stats.failures == 0
    assert list((tmp_path / "outbox").glob("*.json")) == []
    assert server.event_count() == 0


def test_an_oversized_message_is_cut_to_the_contract_and_still_arrives(
    sqlite_server: LiveServer, sdk_init: Any
) -> None:
    server = sqlite_server
    sdk_init(server)
    try:
        raise ValueError("x" * 20_000)
    except ValueError:
        faultbox_sdk.capture_exception()
    assert faultbox_sdk.flush(10)
    issue = _one_issue(server, 1)
    (event,) = _events(server, issue["id"])
    assert event["exceptions"][-1]["value"].startswith("x" * 1000)
    assert len(event["exceptions"][-1]["value"]) <= 5000

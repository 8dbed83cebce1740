"""New-issue and regression rules through the real digest: events sent to a live
server, ``alerts.listen`` subscribed to the lifecycle's hooks, the clock pinned. The
server's own alert runner is stopped: these tests listen in its place."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from faultbox import clock
from faultbox.alerts.evaluate import evaluate_rules
from faultbox.alerts.listen import listen
from faultbox.alerts.model import Firing
from faultbox.store import alert_rules
from faultbox.store.db import write_transaction
from tests.support import LiveServer, wait_for


@pytest.fixture
def quiet_server(sqlite_server: LiveServer) -> LiveServer:
    """The live server without its alert runner (nobody else records the firings)."""
    sqlite_server.app.state.alerts.stop()
    return sqlite_server


@pytest.fixture
def heard(quiet_server: LiveServer) -> Iterator[list[Firing]]:
    sqlite_server = quiet_server
    clock.pin(float(int(time.time())))
    found: list[Firing] = []
    unsubscribe = listen(sqlite_server.engine, found.append)
    yield found
    unsubscribe()
    clock.pin(None)


def _rule(server: LiveServer, condition: str, **options: Any) -> int:
    with write_transaction(server.engine) as conn:
        return alert_rules.create_rule(
            conn,
            project_id=server.project.id,
            name=condition,
            condition=condition,
            now=clock.now() - 60,
            **options,
        )


class Sender:
    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.sent = 0

    def send(self, release: str | None, fingerprint: str = "checkout") -> None:
        self.sent += 1
        event = {
            "message": f"{fingerprint} failed",
            "level": "error",
            "platform": "python",
            "timestamp": clock.now(),
            "fingerprint": [fingerprint],
            **({"release": release} if release else {}),
        }
        self.server.send_event(f"{self.sent:032x}", event)
        self.server.wait_events(self.sent)


def _resolve(server: LiveServer, issue_id: int, release: str) -> None:
    response = httpx.patch(
        f"{server.url}/api/v1/issues/{issue_id}",
        json={"status": "resolved", "resolved_in_release": release},
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def _periodic(server: LiveServer) -> list[Firing]:
    with write_transaction(server.engine) as conn:
        return evaluate_rules(conn, clock.now())


def test_regression_fires_only_for_a_newer_release(
    quiet_server: LiveServer, heard: list[Firing]
) -> None:
    server = quiet_server
    new_rule = _rule(server, "new_issue")
    regression_rule = _rule(server, "regression", severity="P1")
    sender = Sender(server)
    sender.send("shop@1.0.0")
    [new] = wait_for(lambda: list(heard))
    assert new.rule_id == new_rule and new.issue_id is not None
    issue_id = new.issue_id

    clock.advance(60)
    _resolve(server, issue_id, "shop@1.1.0")
    for release in ("shop@1.0.0", "shop@1.1.0", None, "shop@1.1.0-rc.2"):
        clock.advance(60)
        sender.send(release)
    assert _periodic(server) == []  # no regression recorded, nothing missed by the hook
    assert len(heard) == 1

    clock.advance(60)
    sender.send("shop@1.2.0")
    wait_for(lambda: len(heard) == 2)
    regression = heard[1]
    assert (regression.rule_id, regression.issue_id, regression.severity) == (
        regression_rule,
        issue_id,
        "P1",
    )
    assert "shop@1.2.0" in regression.explanation
    # The periodic job finds the same occurrences already recorded.
    assert _periodic(server) == []
    clock.advance(60)
    sender.send("shop@1.2.0")  # the issue is open again: no news
    assert _periodic(server) == []
    with write_transaction(server.engine) as conn:
        assert len(alert_rules.firings(conn, regression_rule)) == 1


def test_the_periodic_job_catches_what_the_hook_missed(quiet_server: LiveServer) -> None:
    clock.pin(float(int(time.time())))
    try:
        rule = _rule(server := quiet_server, "new_issue", filter="level:error")
        Sender(server).send("shop@1.0.0")  # nobody listening
        [fired] = _periodic(server)
        assert fired.rule_id == rule and fired.explanation.startswith("new issue")
        assert _periodic(server) == []
    finally:
        clock.pin(None)

"""The runner's periodic pass with a pinned clock: level conditions are evaluated and
fanned out by one runner at a time (the job lease), and the sweeps follow resolved
issues (the page is resolved with its dedup key)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from faultbox import clock
from faultbox.alerts.runner import PERIOD_SECONDS, AlertRunner
from tests.fakes.services import FakeService, pagerduty, serve
from tests.integration.alerts.delivery_support import DeliveryWorld
from tests.integration.alerts.rules_support import MIN, T0, spread


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[DeliveryWorld]:
    yield DeliveryWorld(engine, tmp_path)
    clock.pin(None)


@pytest.fixture
def pager() -> Iterator[FakeService]:
    with serve(FakeService(pagerduty)) as service:
        yield service


def test_one_runner_at_a_time_evaluates_and_sweeps(
    world: DeliveryWorld, pager: FakeService
) -> None:
    world.channel(
        "pagerduty",
        {"events_url": f"{pager.url}/v2/enqueue"},
        {"routing_key": "R0123456789abcdef0123456789abcde"},
        role="pager",
    )
    world.rule("threshold", {"count": 5, "window": 60, "group_by": "issue"}, severity="P1")
    issue = world.issue()
    world.events(issue, spread(T0 - MIN, T0 - 1, 5))
    first, second = (
        AlertRunner(world.engine, world.settings),
        AlertRunner(world.engine, world.settings),
    )
    clock.pin(T0)
    assert second.periodic(T0 - 1) == 0  # 5 events: not crossed; second holds the lease
    world.events(issue, [T0])
    assert first.periodic(T0) == 0  # crossed, but the lease is second's
    assert second.periodic(T0) == 1  # the holder evaluates: one page enqueued
    assert first.run_once(T0) == 1  # anyone sends
    [page] = [r.json() for r in pager.requests]
    assert page["event_action"] == "trigger"
    # The lease ran out (second is gone): first takes over. The issue was resolved.
    world.set_issue(issue, status="resolved", resolved_at=T0 + 60)
    assert first.periodic(T0 + 3 * PERIOD_SECONDS + 1) == 1
    assert first.run_once(T0 + 3 * PERIOD_SECONDS + 1) == 1
    resolved = pager.requests[1].json()
    assert (resolved["event_action"], resolved["dedup_key"]) == ("resolve", page["dedup_key"])
    [incident] = world.incidents()
    assert incident["status"] == "resolved"

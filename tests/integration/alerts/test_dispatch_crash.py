"""A sender killed with SIGKILL after the page left and before it was recorded: another
sender sends it again once the lease runs out, with the same dedup key, so PagerDuty
(whose events with one dedup_key go to one alert) pages once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from faultbox import clock
from faultbox.alerts.dispatch import LEASE_SECONDS
from tests.fakes.services import FakeService, Request, pagerduty, serve
from tests.integration.alerts.delivery_support import SECRET_KEY, DeliveryWorld
from tests.integration.alerts.rules_support import MIN, T0

CHILD = """
import sys
from faultbox.alerts.dispatch import Dispatcher
from faultbox.config import load_settings
from faultbox.store.db import open_engine

url, data_dir, secret_key, now = sys.argv[1:]
settings = load_settings(
    {"data_dir": data_dir, "database_url": url, "secret_key": secret_key}, environ={}
)
Dispatcher(open_engine(url), settings, owner="doomed").run_once(float(now))
"""


@pytest.fixture
def world(engine: Engine, tmp_path: Path) -> Iterator[DeliveryWorld]:
    yield DeliveryWorld(engine, tmp_path)
    clock.pin(None)


def test_kill_9_between_sent_and_recorded_pages_once(world: DeliveryWorld, tmp_path: Path) -> None:
    arrived, release = threading.Event(), threading.Event()

    def slow_pagerduty(req: Request) -> tuple[int, bytes, dict[str, str]]:
        arrived.set()
        release.wait(30)  # the answer is held until the sender is dead
        return pagerduty(req)

    with serve(FakeService(slow_pagerduty)) as pd:
        world.channel(
            "pagerduty",
            {"events_url": f"{pd.url}/v2/enqueue"},
            {"routing_key": "R0123456789abcdef0123456789abcde"},
            role="pager",
        )
        world.rule("new_issue", severity="P1", now=T0 - MIN)
        world.issue("OutOfMemoryError", first_seen=T0 - 5)
        world.fire(T0)
        url = world.engine.url.render_as_string(hide_password=False)
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, url, str(tmp_path / "child"), SECRET_KEY, str(T0)]
        )
        try:
            assert arrived.wait(60), "the doomed sender never sent"
            os.kill(child.pid, signal.SIGKILL)
            assert child.wait(30) == -signal.SIGKILL
        finally:
            release.set()
            if child.poll() is None:
                child.kill()
        [row] = world.deliveries()
        assert (row["status"], row["lease_owner"], row["sent_at"]) == ("sending", "doomed", None)
        assert world.dispatch(T0 + LEASE_SECONDS - 1) == 0  # the dead sender's lease holds
        assert world.dispatch(T0 + LEASE_SECONDS + 1) == 1
        [row] = world.deliveries()
        assert (row["status"], row["attempts"]) == ("sent", 2)
        sent = [r.json() for r in pd.requests]
        assert [s["event_action"] for s in sent] == ["trigger", "trigger"]
        assert len({s["dedup_key"] for s in sent}) == 1  # PagerDuty: one alert
        assert world.dispatch(T0 + 10 * LEASE_SECONDS) == 0
        assert len(pd.requests) == 2

"""retry() and circuit_breaker(): their behaviour, and their give-ups and openings arriving
at a real Faultbox server as events.  No test waits out a backoff: ``sleep`` is recorded."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pybreaker
import pytest

import faultbox_sdk
from faultbox_sdk.resilience import circuit_breaker, retry
from tests.support import LiveServer, wait_for


class Flaky:
    def __init__(self, failures: int, error: type[Exception] = ConnectionError) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error(f"attempt {self.calls} failed")
        return "ok"


def test_retry_succeeds_after_failures_with_growing_waits() -> None:
    waits: list[float] = []
    flaky = Flaky(2)
    fetch = retry(attempts=4, on=(ConnectionError,), wait_initial=1, jitter=0, sleep=waits.append)(
        flaky
    )
    assert fetch() == "ok" and flaky.calls == 3
    assert waits == [1, 2]


def test_retry_does_not_retry_other_errors() -> None:
    flaky = Flaky(5, ValueError)
    fetch = retry(attempts=4, on=(ConnectionError,), sleep=lambda s: None)(flaky)
    with pytest.raises(ValueError):
        fetch()
    assert flaky.calls == 1


def test_retry_refuses_zero_attempts() -> None:
    with pytest.raises(ValueError):
        retry(attempts=0)


def test_breaker_opens_after_fail_max_and_then_fails_fast() -> None:
    flaky = Flaky(100)
    call = circuit_breaker(fail_max=2, reset_timeout=3600, name="t")(flaky)
    with pytest.raises(ConnectionError):
        call()
    with pytest.raises(pybreaker.CircuitBreakerError):
        call()  # the second failure trips it
    with pytest.raises(pybreaker.CircuitBreakerError):
        call()  # open: not called
    assert flaky.calls == 2 and call.breaker.current_state == "open"  # type: ignore[attr-defined]


def test_breaker_ignores_excluded_errors() -> None:
    flaky = Flaky(100, KeyError)
    call = circuit_breaker(fail_max=1, exclude=(KeyError,), name="x")(flaky)
    for _ in range(3):
        with pytest.raises(KeyError):
            call()
    assert call.breaker.current_state == "closed"  # type: ignore[attr-defined]


def _events(server: LiveServer) -> list[dict[str, Any]]:
    out = []
    for issue in server.issues():
        listed = server.api_json(f"/api/v1/issues/{issue['id']}/events")["data"]
        out += [server.api_json(f"/api/v1/events/{e['event_id']}") for e in listed]
    return out


def test_give_ups_and_openings_arrive_as_events(sqlite_server: LiveServer, tmp_path: Path) -> None:
    faultbox_sdk.init(
        sqlite_server.dsn,
        mode="envelope",
        buffer_dir=str(tmp_path / "outbox"),
        install_hooks=False,
    )
    # A sync retry that gives up after 3 attempts, an async one after 2.
    sync = retry(attempts=3, on=(ConnectionError,), sleep=lambda s: None, name="rates")(Flaky(9))
    with pytest.raises(ConnectionError, match="attempt 3 failed"):
        sync()

    async def nap(seconds: float) -> None:
        return None

    flaky_async = Flaky(9, TimeoutError)

    @retry(attempts=2, on=(TimeoutError,), sleep=nap, name="stock")
    async def stock() -> str:
        return flaky_async()

    with pytest.raises(TimeoutError, match="attempt 2 failed"):
        asyncio.run(stock())

    # An async breaker that opens once (further calls fail fast: no second event).
    @circuit_breaker(fail_max=2, reset_timeout=3600, name="payments-api")
    async def charge() -> None:
        raise OSError("provider down")

    async def hammer() -> None:
        for _ in range(4):
            try:
                await charge()
            except (OSError, pybreaker.CircuitBreakerError):
                pass

    asyncio.run(hammer())
    assert charge.breaker.current_state == "open"  # type: ignore[attr-defined]
    assert faultbox_sdk.flush(10)
    sqlite_server.wait_events(3)
    wait_for(lambda: len(_events(sqlite_server)) == 3)
    events = _events(sqlite_server)
    retries = {e["contexts"]["retry"]["function"]: e for e in events if "retry" in e["contexts"]}
    assert retries["rates"]["contexts"]["retry"]["attempts"] == 3
    assert retries["rates"]["exceptions"][-1]["type"] == "ConnectionError"
    assert retries["stock"]["contexts"]["retry"]["attempts"] == 2
    assert retries["stock"]["exceptions"][-1]["type"] == "TimeoutError"
    (opened,) = [e for e in events if "circuit_breaker" in e["contexts"]]
    breaker = opened["contexts"]["circuit_breaker"]
    assert breaker["name"] == "payments-api" and breaker["fail_max"] == 2
    assert "provider down" in breaker["last_error"]
    assert opened["level"] == "warning" and opened["tags"]["error_code"] == "circuit_open"

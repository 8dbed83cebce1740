"""Crash-free rate rules: fire when crash-free sessions over the window fall strictly
below the threshold with at least ``min_sessions`` started, once per drop; only the
window's minutes, release and environment count. Pinned clock, both databases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from faultbox import clock
from faultbox.store.db import write_transaction
from faultbox.store.session_counts import SessionCounts, add_session_counts
from tests.integration.alerts.rules_support import MIN, T0, AlertStore

HOUR = 3600.0


@pytest.fixture
def store(engine: Engine) -> Iterator[AlertStore]:
    yield AlertStore(engine)
    clock.pin(None)


def sessions(
    store: AlertStore,
    at: float,
    started: int,
    crashed: int = 0,
    *,
    release: str = "shop@1.0",
    environment: str = "production",
) -> None:
    with write_transaction(store.engine) as conn:
        add_session_counts(
            conn,
            [
                SessionCounts(
                    store.project_id,
                    environment,
                    release,
                    at // 60 * 60,
                    started=started,
                    crashed=crashed,
                )
            ],
        )


def test_fires_strictly_below_the_threshold(store: AlertStore) -> None:
    rule = store.rule("crash_free_rate", {"threshold": 99.5, "window": HOUR, "min_sessions": 10})
    sessions(store, T0 - 10 * MIN, 200, crashed=1)  # 99.5 %: at the threshold, not below
    assert store.evaluate(T0) == []
    sessions(store, T0 - 5 * MIN, 0, crashed=1)  # 2 of 200: 99.0 %
    [fired] = store.evaluate(T0)
    assert (fired.rule_id, fired.subject, fired.value, fired.threshold) == (
        rule,
        "project",
        99.0,
        99.5,
    )
    assert "2 crashed of 200" in fired.explanation
    assert store.evaluate(T0 + MIN) == []  # still below: already told
    sessions(store, T0 + 2 * MIN, 400)  # 2 of 600: 99.67 %, recovered
    assert store.evaluate(T0 + 2 * MIN) == []
    sessions(store, T0 + 3 * MIN, 0, crashed=4)  # 6 of 600: 99.0 % again
    [again] = store.evaluate(T0 + 3 * MIN)
    assert again.rule_id == rule


def test_needs_min_sessions_started(store: AlertStore) -> None:
    store.rule("crash_free_rate", {"threshold": 90, "window": HOUR, "min_sessions": 10})
    sessions(store, T0 - MIN, 9, crashed=9)
    assert store.evaluate(T0) == []  # 9 sessions: too few to judge
    sessions(store, T0 - MIN, 1)
    [fired] = store.evaluate(T0)  # 10 sessions, 9 crashed: 10 %
    assert fired.value == 10.0


def test_only_the_windows_minutes_count(store: AlertStore) -> None:
    store.rule("crash_free_rate", {"threshold": 50, "window": HOUR})
    sessions(store, T0 - HOUR, 10, crashed=10)  # the bucket at now - window is outside
    sessions(store, T0 - HOUR + MIN, 10)
    assert store.evaluate(T0) == []
    sessions(store, T0 - HOUR + MIN, 0, crashed=6)  # inside: 6 of 10 crashed
    [fired] = store.evaluate(T0)
    assert fired.value == 40.0
    sessions(store, T0 + MIN, 5)  # a minute after now does not count yet
    assert store.evaluate(T0) == []


def test_release_and_environment_filters(store: AlertStore) -> None:
    release = store.rule("crash_free_rate", {"threshold": 95, "release": "shop@2.0"})
    staging = store.rule("crash_free_rate", {"threshold": 95, "environment": "staging"})
    sessions(store, T0 - MIN, 100, crashed=10, release="shop@2.0")  # 90 % in production
    sessions(store, T0 - MIN, 1000, release="shop@1.0")  # healthy old release
    sessions(store, T0 - MIN, 100, environment="staging")
    [fired] = store.evaluate(T0)
    assert (fired.rule_id, fired.subject, fired.value) == (release, "release:shop@2.0", 90.0)
    assert store.firings(staging) == []


def test_no_sessions_no_rate(store: AlertStore) -> None:
    store.rule("crash_free_rate", {"threshold": 99.9})
    assert store.evaluate(T0) == []

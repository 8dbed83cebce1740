"""Spike rules against a flat and a seasonal baseline, on SQLite and PostgreSQL: the
hourly peak that every previous day had too is no spike for the seasonal baseline."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from faultbox import clock
from tests.integration.alerts.rules_support import DAY, T0, AlertStore, H, spread


@pytest.fixture
def store(engine: Engine) -> Iterator[AlertStore]:
    yield AlertStore(engine)
    clock.pin(None)


def _flat_week(store: AlertStore, issue: int) -> None:
    """4 and 6 events in alternate hours over the previous 7 days: mean 5, stddev 1."""
    times: list[float] = []
    for hour in range(1, 7 * 24 + 1):
        end = T0 - hour * H
        times += spread(end - H, end, 4 if hour % 2 else 6)
    store.events(issue, times)


@pytest.mark.parametrize(
    ("current", "minimum", "fires"),
    [(8, 0, False), (9, 0, True), (9, 10, False), (10, 10, True)],
)
def test_flat_baseline(store: AlertStore, current: int, minimum: int, fires: bool) -> None:
    params = {"window": H, "days": 7, "k": 3, "min_count": minimum, "baseline": "flat"}
    store.rule("spike", params)
    issue = store.issue()
    _flat_week(store, issue)
    store.events(issue, spread(T0 - H, T0, current))
    fired = store.evaluate(T0)
    assert [(f.value, f.threshold) for f in fired] == (
        [(current, max(8.0, minimum))] if fires else []
    )


def _daily_peak(store: AlertStore, issue: int, peaks: list[int]) -> None:
    """Each previous day: 2 events an hour, and its peak in the hour before T0's time."""
    times: list[float] = []
    for day, peak in enumerate(peaks, start=1):
        for hour in range(24):
            end = T0 - day * DAY - hour * H
            times += spread(end - H, end, peak if hour == 0 else 2)
    store.events(issue, times)


PEAKS = [48, 52, 50, 49, 51, 50, 50]


def test_the_daily_peak_is_no_spike_for_the_seasonal_baseline(store: AlertStore) -> None:
    seasonal = store.rule("spike", {"window": H, "days": 7, "min_count": 10})
    flat = store.rule("spike", {"window": H, "days": 7, "min_count": 10, "baseline": "flat"})
    issue = store.issue()
    _daily_peak(store, issue, PEAKS)
    store.events(issue, spread(T0 - H, T0, 52))
    # The flat baseline (mean ≈ 4) calls the usual peak a spike; the seasonal does not.
    assert [f.rule_id for f in store.evaluate(T0)] == [flat]
    assert store.firings(seasonal) == []


def test_a_spike_above_the_daily_peak(store: AlertStore) -> None:
    rule = store.rule("spike", {"window": H, "days": 7, "min_count": 10})
    issue = store.issue()
    _daily_peak(store, issue, PEAKS)
    store.events(issue, spread(T0 - H, T0, 60))
    [fired] = store.evaluate(T0)
    assert fired.rule_id == rule and fired.value == 60
    assert 52 < fired.threshold < 60  # 50 + 3 × 1.2
    assert "baseline 50.0" in fired.explanation


def test_a_quiet_series_needs_the_minimum_count(store: AlertStore) -> None:
    store.rule("spike", {"window": H, "days": 7, "min_count": 10})
    issue = store.issue()
    store.events(issue, spread(T0 - H, T0, 9))  # nothing before: any count beats 0 ± 0
    assert store.evaluate(T0) == []
    store.events(issue, [T0])
    assert [f.value for f in store.evaluate(T0)] == [10]

"""Cron monitor rules: a missed run fires one second after its margin and not a second
before, an error check-in fires once, a run overrunning its maximum runtime fires one
second after it; each writes the run the monitor's page lists. Pinned clock, both
databases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine

from faultbox import clock
from faultbox.alerts.rules import validate
from faultbox.lifecycle.monitors import CheckIn, mark_overdue, record_check_in
from faultbox.store import monitors
from faultbox.store.db import read_connection, write_transaction
from tests.integration.alerts.rules_support import MIN, T0, AlertStore

INTERVAL_10 = {
    "schedule_type": "interval",
    "schedule": "10 minute",
    "timezone": "UTC",
    "checkin_margin_minutes": 2,
    "max_runtime_minutes": 5,
}


@pytest.fixture
def store(engine: Engine) -> Iterator[AlertStore]:
    yield AlertStore(engine)
    clock.pin(None)


def check_in(
    store: AlertStore,
    at: float,
    status: str,
    *,
    slug: str = "backup",
    run: str = "a" * 32,
    config: dict[str, Any] | None = None,
    duration: float | None = None,
) -> str | None:
    with write_transaction(store.engine) as conn:
        return record_check_in(
            conn,
            CheckIn(
                store.project_id,
                slug,
                run,
                status,
                at,
                duration=duration,
                environment="production",
                config=config,
            ),
        )


def monitor(store: AlertStore, slug: str = "backup") -> monitors.MonitorRow:
    with read_connection(store.engine) as conn:
        found = monitors.get_monitor(conn, store.project_id, slug)
    assert found is not None
    return found


def runs(store: AlertStore, slug: str = "backup") -> list[tuple[str, str]]:
    with read_connection(store.engine) as conn:
        rows = monitors.list_checkins(conn, monitor(store, slug).id, limit=100)
    return [(r.checkin_id, r.status) for r in rows]


def test_a_missed_check_in_fires_one_second_after_the_margin(store: AlertStore) -> None:
    rule = store.rule("monitor", {"monitor": "backup"})
    assert check_in(store, T0, "ok", config=INTERVAL_10) is None
    expected = T0 + 10 * MIN
    assert monitor(store).next_expected_at == expected
    deadline = expected + 2 * MIN
    assert store.evaluate(deadline - 1) == []
    assert store.evaluate(deadline) == []  # "by next_expected + margin" includes it
    assert monitor(store).status == "ok"
    [fired] = store.evaluate(deadline + 1)
    assert (fired.rule_id, fired.subject) == (rule, "monitor:backup")
    # T0 = 2027-01-15 08:00 UTC; the run was expected ten minutes later.
    assert fired.explanation == "monitor backup missed its check-in (expected 2027-01-15 08:10 UTC)"
    assert monitor(store).status == "missed"
    assert runs(store)[0] == (f"missed-{expected:.0f}", "missed")
    assert store.evaluate(deadline + 30) == []  # once per missed run
    # The next expected run (ten minutes later) is missed too: a second firing.
    assert store.evaluate(deadline + 10 * MIN) == []
    [again] = store.evaluate(deadline + 10 * MIN + 1)
    assert again.subject == "monitor:backup"
    assert [s for _, s in runs(store)] == ["missed", "missed", "ok"]


def test_a_check_in_in_time_fires_nothing(store: AlertStore) -> None:
    store.rule("monitor")
    check_in(store, T0, "ok", config=INTERVAL_10)
    for n in range(1, 6):  # every run a little late but inside the margin
        at = T0 + n * 10 * MIN + 2 * MIN - 1
        assert store.evaluate(at - 1) == []
        check_in(store, at, "ok", run=f"{n:032x}")
    assert store.evaluate(T0 + 60 * MIN) == []
    assert monitor(store).status == "ok"
    assert [s for _, s in runs(store)] == ["ok"] * 6


def test_an_error_check_in_fires_once(store: AlertStore) -> None:
    rule = store.rule("monitor")
    check_in(store, T0, "ok", config=INTERVAL_10)
    assert store.evaluate(T0 + 1) == []
    check_in(store, T0 + 5 * MIN, "error", run="b" * 32, duration=12.5)
    [fired] = store.evaluate(T0 + 5 * MIN)
    assert fired.rule_id == rule
    assert fired.explanation == (
        "monitor backup reported an error (run started 2027-01-15 08:04 UTC)"
    )
    assert store.evaluate(T0 + 5 * MIN + 1) == []
    assert monitor(store).status == "error"
    assert runs(store)[0] == ("b" * 32, "error")
    assert len(store.firings(rule)) == 1


def test_a_run_fires_when_it_overruns_its_maximum_runtime(store: AlertStore) -> None:
    rule = store.rule("monitor")
    check_in(store, T0, "in_progress", config=INTERVAL_10, run="c" * 32)
    limit = T0 + 5 * MIN
    assert store.evaluate(limit - 1) == []
    assert store.evaluate(limit) == []
    [fired] = store.evaluate(limit + 1)
    assert fired.rule_id == rule
    assert fired.explanation == (
        "monitor backup ran past its maximum runtime (run started 2027-01-15 08:00 UTC)"
    )
    assert runs(store) == [("c" * 32, "timeout")]
    assert monitor(store).status == "timeout"
    # The late "ok" does not turn the timed-out run into a success.
    check_in(store, limit + 60, "ok", run="c" * 32)
    assert runs(store) == [("c" * 32, "timeout")]
    assert store.evaluate(limit + 120) == []


def test_in_progress_then_ok_closes_the_run_with_its_duration(store: AlertStore) -> None:
    store.rule("monitor")
    check_in(store, T0, "in_progress", config=INTERVAL_10, run="d" * 32)
    check_in(store, T0 + 42, "ok", run="d" * 32)
    check_in(store, T0 + 50, "error", run="d" * 32)  # a finished run never changes
    with read_connection(store.engine) as conn:
        [run] = monitors.list_checkins(conn, monitor(store).id, limit=10)
    assert (run.status, run.started_at, run.finished_at, run.duration) == ("ok", T0, T0 + 42, 42)
    assert store.evaluate(T0 + 5 * MIN + 1) == []  # closed in time: no overrun
    assert monitor(store).status == "ok"


def test_a_crontab_in_a_time_zone(store: AlertStore) -> None:
    rule = store.rule("monitor")
    nightly = {**INTERVAL_10, "schedule_type": "crontab", "schedule": "0 3 * * *"}
    nightly["timezone"] = "America/New_York"
    check_in(store, T0, "ok", config=nightly)  # T0 = 2027-01-15 08:00 UTC = 03:00 EST
    expected = T0 + 86400.0
    assert monitor(store).next_expected_at == expected
    assert store.evaluate(expected + 2 * MIN) == []
    [fired] = store.evaluate(expected + 2 * MIN + 1)
    assert fired.rule_id == rule
    assert fired.explanation.endswith("(expected 2027-01-16 03:00 EST)")


def test_one_monitors_rule_ignores_the_others(store: AlertStore) -> None:
    backup = store.rule("monitor", {"monitor": "backup"})
    every = store.rule("monitor")
    check_in(store, T0, "ok", config=INTERVAL_10)
    check_in(store, T0, "error", slug="reports", config=INTERVAL_10, run="e" * 32)
    [fired] = store.evaluate(T0 + 1)
    assert (fired.rule_id, fired.subject) == (every, "monitor:reports")
    assert store.firings(backup) == []


def test_failures_before_the_rule_existed_do_not_fire(store: AlertStore) -> None:
    check_in(store, T0, "error", config=INTERVAL_10)
    store.rule("monitor", now=T0 + 1)
    assert store.evaluate(T0 + 2) == []


def test_an_unknown_monitor_without_config_is_refused(store: AlertStore) -> None:
    assert check_in(store, T0, "ok", slug="nope") == (
        "no monitor 'nope' and no monitor_config to create it"
    )


def test_monitor_config_on_a_check_in_updates_the_schedule(store: AlertStore) -> None:
    check_in(store, T0, "ok", config=INTERVAL_10)
    check_in(store, T0 + MIN, "ok", run="f" * 32, config={**INTERVAL_10, "schedule": "1 hour"})
    assert (monitor(store).schedule, monitor(store).next_expected_at) == ("1 hour", T0 + 61 * MIN)


def test_a_long_outage_writes_a_bounded_number_of_missed_runs(store: AlertStore) -> None:
    check_in(store, T0, "ok", config={**INTERVAL_10, "schedule": "1 minute"})
    with write_transaction(store.engine) as conn:
        written = mark_overdue(conn, T0 + 10 * 86400)
    assert written == 100
    assert monitor(store).next_expected_at == T0 + 10 * 86400 + MIN


def test_rule_parameters_are_checked() -> None:
    validate("monitor", {"monitor": "backup", "lookback": 3600})
    validate("crash_free_rate", {"threshold": 99.5, "window": 3600, "min_sessions": 10})
    validate("crash_free_rate", {"release": "shop@1.0", "environment": "production"})
    for condition, params, message in [
        ("monitor", {"monitor": ""}, "monitor must be a text"),
        ("monitor", {"monitor": 5}, "monitor must be a text"),
        ("monitor", {"threshold": 5}, "does not take"),
        ("crash_free_rate", {"threshold": "high"}, "threshold must be a number"),
        ("crash_free_rate", {"threshold": 100.5}, "at most 100"),
        ("crash_free_rate", {"window": 10}, "window must be at least 60"),
        ("crash_free_rate", {"min_sessions": 0}, "min_sessions must be at least 1"),
        ("crash_free_rate", {"release": "x" * 201}, "release must be a text"),
    ]:
        with pytest.raises(ValueError, match=message):
            validate(condition, params)

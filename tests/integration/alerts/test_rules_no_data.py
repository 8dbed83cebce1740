"""No-data rules: a stream that reported at least every T fires after T of silence,
not before, once; a stream that never reported regularly never fires."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from faultbox import clock
from tests.integration.alerts.rules_support import MIN, T0, AlertStore

T = 10 * MIN


@pytest.fixture
def store(engine: Engine) -> Iterator[AlertStore]:
    yield AlertStore(engine)
    clock.pin(None)


def _every(step: float, start: float, end: float) -> list[float]:
    times, at = [], start
    while at <= end:
        times.append(at)
        at += step
    return times


def test_fires_after_t_of_silence_and_not_before(store: AlertStore) -> None:
    rule = store.rule("no_data", {"period": T, "periods": 3}, filter="service:payments")
    payments = store.issue("payments", service="payments")
    store.events(payments, _every(5 * MIN, T0 - 2 * 3600, T0))  # last event at T0
    assert store.evaluate(T0 + T - 1) == []
    [fired] = store.evaluate(T0 + T)
    assert (fired.rule_id, fired.subject, fired.value, fired.threshold) == (rule, "stream", T, T)
    assert store.evaluate(T0 + 2 * T) == []  # still silent: already told
    store.events(payments, [T0 + 2 * T + 1])  # it reports again
    assert store.evaluate(T0 + 2 * T + 2) == []


def test_a_service_that_never_reported_regularly(store: AlertStore) -> None:
    store.rule("no_data", {"period": T, "periods": 3}, filter="service:batch")
    store.rule("no_data", {"period": T, "periods": 3}, filter="service:once")
    batch = store.issue("batch", service="batch")
    once = store.issue("once", service="once")
    store.events(batch, _every(3600, T0 - 6 * 3600, T0), service="batch")  # hourly, T is 10 min
    store.events(once, [T0], service="once")
    for at in (T0 + T, T0 + 2 * T, T0 + 3600 - 1):
        assert store.evaluate(at) == []


def test_the_project_and_one_service(store: AlertStore) -> None:
    project = store.rule("no_data", {"period": T})
    payments_rule = store.rule("no_data", {"period": T}, filter="service:payments")
    payments = store.issue("payments", service="payments")
    search = store.issue("search", service="search")
    store.events(payments, _every(MIN, T0 - 3600, T0))
    store.events(search, _every(MIN, T0 - 3600, T0 + 3600), service="search")
    # Search goes on: the project reports, payments is silent.
    assert [f.rule_id for f in store.evaluate(T0 + T)] == [payments_rule]
    assert store.firings(project) == []

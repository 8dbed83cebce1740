"""Threshold, per-issue and per-user rules on SQLite and PostgreSQL with a pinned clock:
N−1 / N / N+1, window edges, fire once per crossing, throttle, quiet windows, and
suppression while the issue is ignored or acknowledged."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from faultbox import clock
from tests.integration.alerts.rules_support import MIN, T0, AlertStore, spread


@pytest.fixture
def store(engine: Engine) -> Iterator[AlertStore]:
    yield AlertStore(engine)
    clock.pin(None)


STREAM = {"count": 5, "window": 60}


@pytest.mark.parametrize(("n", "fires"), [(4, False), (5, False), (6, True)])
def test_more_than_n_events_in_the_window(store: AlertStore, n: int, fires: bool) -> None:
    rule = store.rule("threshold", STREAM, filter="service:payments level:error")
    issue = store.issue()
    store.events(issue, spread(T0 - MIN, T0, n))
    fired = store.evaluate(T0)
    assert [(f.rule_id, f.subject, f.value, f.threshold) for f in fired] == (
        [(rule, "stream", 6, 5)] if fires else []
    )


def test_the_filter_counts_only_matching_events(store: AlertStore) -> None:
    store.rule("threshold", STREAM, filter="service:payments level:error")
    payments = store.issue("payments error")
    search = store.issue("search error", service="search")
    store.events(search, spread(T0 - MIN, T0, 20), service="search")
    # The same issue seen in another service and at another level: not counted.
    store.events(payments, spread(T0 - MIN, T0, 3))
    store.events(payments, spread(T0 - MIN, T0, 10), service="search")
    store.events(payments, spread(T0 - MIN, T0, 10), level="warning")
    assert store.evaluate(T0) == []
    store.events(payments, [T0 - 1, T0 - 2, T0 - 3])
    [fired] = store.evaluate(T0)
    assert fired.value == 6


def test_a_listed_filter_counts_events_at_any_listed_level(store: AlertStore) -> None:
    store.rule("threshold", STREAM, filter="service:payments level:[error, fatal]")
    payments = store.issue("payments error")
    store.events(payments, spread(T0 - MIN, T0, 3))
    store.events(payments, spread(T0 - MIN, T0, 10), level="warning")  # not listed
    assert store.evaluate(T0) == []
    store.events(payments, [T0 - 1, T0 - 2, T0 - 3], level="fatal")
    [fired] = store.evaluate(T0)
    assert fired.value == 6


def test_window_edges(store: AlertStore) -> None:
    """The window is (now − W, now]: an event exactly W old is out, one at now is in."""
    store.rule("threshold", STREAM)
    issue = store.issue()
    store.events(issue, [T0 - MIN] * 10 + [T0 + 1] * 10)  # before the window, the future
    store.events(issue, spread(T0 - MIN, T0, 5))
    assert store.evaluate(T0) == []
    store.events(issue, [T0])
    assert [f.value for f in store.evaluate(T0)] == [6]


def test_fires_once_per_crossing(store: AlertStore) -> None:
    rule = store.rule("threshold", STREAM)
    issue = store.issue()
    store.events(issue, spread(T0 - MIN, T0, 6))
    assert len(store.evaluate(T0)) == 1
    store.events(issue, spread(T0, T0 + 10, 6))
    assert store.evaluate(T0 + 10) == []  # still above: no news
    assert store.evaluate(T0 + 30) == []
    assert store.evaluate(T0 + 5 * MIN) == []  # dropped back below
    store.events(issue, spread(T0 + 5 * MIN, T0 + 6 * MIN, 6))
    assert len(store.evaluate(T0 + 6 * MIN)) == 1  # a new crossing
    assert [f["fired_at"] for f in store.firings(rule)] == [T0, T0 + 6 * MIN]


def test_one_issue(store: AlertStore) -> None:
    watched, other = store.issue("watched"), store.issue("other")
    store.rule("threshold", {"count": 2, "window": 60, "issue_id": watched})
    store.events(other, spread(T0 - MIN, T0, 10))
    store.events(watched, spread(T0 - MIN, T0, 2))
    assert store.evaluate(T0) == []
    store.events(watched, [T0])
    [fired] = store.evaluate(T0)
    assert (fired.subject, fired.issue_id, fired.value) == (f"issue:{watched}", watched, 3)


def test_per_issue_subjects_and_the_issues_severity(store: AlertStore) -> None:
    store.rule("threshold", {"count": 2, "window": 60, "group_by": "issue"})
    hot, warm = store.issue("hot", severity="P1"), store.issue("warm")
    store.events(hot, spread(T0 - MIN, T0, 3))
    store.events(warm, spread(T0 - MIN, T0, 2))
    [fired] = store.evaluate(T0)
    assert (fired.issue_id, fired.severity) == (hot, "P1")


@pytest.mark.parametrize(("n", "fires"), [(2, False), (3, False), (4, True)])
def test_per_user_in_a_window(store: AlertStore, n: int, fires: bool) -> None:
    store.rule("per_user", {"count": 3, "window": 3600})
    issue = store.issue()
    store.events(issue, spread(T0 - 3600, T0, n), user_key="id:alice")
    # Many events from many users, and events without a user: nobody crosses.
    for user in range(10):
        store.events(issue, spread(T0 - 3600, T0, 3), user_key=f"id:u{user}")
    store.events(issue, spread(T0 - 3600, T0, 50))
    # Alice's older events are out of the window.
    store.events(issue, [T0 - 3600, T0 - 7200], user_key="id:alice")
    fired = store.evaluate(T0)
    assert [(f.subject, f.value) for f in fired] == ([("user:id:alice", n)] if fires else [])


def test_per_user_crossings_are_per_user(store: AlertStore) -> None:
    store.rule("per_user", {"count": 1, "window": 60})
    issue = store.issue()
    store.events(issue, [T0 - 10, T0 - 5], user_key="id:a")
    assert [f.subject for f in store.evaluate(T0)] == ["user:id:a"]
    store.events(issue, [T0 + 1, T0 + 2], user_key="id:b")
    assert [f.subject for f in store.evaluate(T0 + 5)] == ["user:id:b"]  # a: still above


def test_throttle(store: AlertStore) -> None:
    rule = store.rule("threshold", STREAM, throttle_seconds=1800)
    issue = store.issue()
    at = T0
    fired_at = []
    for _ in range(4):  # a crossing every 10 minutes
        store.events(issue, spread(at - MIN, at, 6))
        fired_at += [at for _ in store.evaluate(at)]
        assert store.evaluate(at + 5 * MIN) == []  # back below
        at += 10 * MIN
    assert fired_at == [T0, T0 + 30 * MIN]
    assert [f["suppressed"] for f in store.firings(rule)] == [None, "throttled", "throttled", None]


def test_quiet_window_across_midnight_in_a_time_zone(store: AlertStore) -> None:
    # 22:00–07:00 in New York (UTC−5 in January): 03:00–12:00 UTC.
    quiet = [{"start": "22:00", "end": "07:00", "tz": "America/New_York"}]
    rule = store.rule("threshold", {"count": 0, "window": 60}, quiet_windows=quiet)
    issue = store.issue()
    # T0 is 08:00 UTC = 03:00 in New York: quiet.
    crossings = [T0, T0 + 4 * 3600 - 60, T0 + 4 * 3600, T0 - 5 * 3600 - 60, T0 - 5 * 3600]
    heard = []
    for at in sorted(crossings):
        store.events(issue, [at])
        heard += [at for _ in store.evaluate(at)]
        store.evaluate(at + 2 * MIN)  # back below
    # 21:59 and 07:00 local fire; 22:00, 03:00 and 06:59 do not.
    assert heard == [T0 - 5 * 3600 - 60, T0 + 4 * 3600]
    assert [f["suppressed"] for f in store.firings(rule)] == [
        None,
        "quiet window",
        "quiet window",
        "quiet window",
        None,
    ]


@pytest.mark.parametrize(
    ("columns", "reason"),
    [
        ({"status": "ignored"}, "issue ignored"),
        ({"acknowledged_at": T0 - 60}, "issue acknowledged"),
    ],
)
def test_suppressed_while_the_issue_is_ignored_or_acknowledged(
    store: AlertStore, columns: dict[str, object], reason: str
) -> None:
    rule = store.rule("threshold", {"count": 2, "window": 60, "group_by": "issue"})
    quiet, loud = store.issue("quiet"), store.issue("loud")
    store.set_issue(quiet, **columns)
    store.events(quiet, spread(T0 - MIN, T0, 3))
    store.events(loud, spread(T0 - MIN, T0, 3))
    assert [f.issue_id for f in store.evaluate(T0)] == [loud]
    assert {(f["issue_id"], f["suppressed"]) for f in store.firings(rule)} == {
        (quiet, reason),
        (loud, None),
    }


def test_disabled_rules_do_not_fire(store: AlertStore) -> None:
    store.rule("threshold", STREAM, enabled=False)
    store.events(store.issue(), spread(T0 - MIN, T0, 10))
    assert store.evaluate(T0) == []


def test_a_broken_rule_does_not_stop_the_others(store: AlertStore) -> None:
    store.rule("threshold", STREAM, filter="is:bogus")  # stored without validation
    good = store.rule("threshold", STREAM)
    store.events(store.issue(), spread(T0 - MIN, T0, 6))
    assert [f.rule_id for f in store.evaluate(T0)] == [good]

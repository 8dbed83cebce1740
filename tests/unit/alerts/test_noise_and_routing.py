"""Quiet windows (time zones, across midnight, DST), the throttle, and routing."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from faultbox.alerts.noise import in_quiet_window, throttled
from faultbox.alerts.routing import CHANNEL, Target, route

PARIS = ZoneInfo("Europe/Paris")
NIGHT = [{"start": "22:00", "end": "07:00", "tz": "Europe/Paris"}]
LUNCH = [{"start": "12:00", "end": "13:30", "tz": "Europe/Paris"}]


def _at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS).timestamp()


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        ("2027-01-15 21:59", False),
        ("2027-01-15 22:00", True),
        ("2027-01-15 23:59", True),
        ("2027-01-16 00:00", True),
        ("2027-01-16 06:59", True),
        ("2027-01-16 07:00", False),
        ("2027-01-16 12:00", False),
        # Summer time: the same local hours, another UTC offset.
        ("2027-07-15 22:30", True),
        ("2027-07-15 07:30", False),
    ],
)
def test_a_night_window_across_midnight(local: str, quiet: bool) -> None:
    assert in_quiet_window(NIGHT, _at(local)) is quiet


@pytest.mark.parametrize(
    ("local", "quiet"),
    [("2027-01-15 11:59", False), ("2027-01-15 12:00", True), ("2027-01-15 13:30", False)],
)
def test_a_window_within_the_day(local: str, quiet: bool) -> None:
    assert in_quiet_window(LUNCH, _at(local)) is quiet


def test_several_windows_and_none() -> None:
    assert in_quiet_window(NIGHT + LUNCH, _at("2027-01-15 12:15"))
    assert not in_quiet_window([], _at("2027-01-15 23:00"))
    utc = [{"start": "22:00", "end": "07:00"}]  # no tz: UTC
    assert in_quiet_window(utc, _at("2027-01-15 23:30"))  # 22:30 UTC
    assert not in_quiet_window(utc, _at("2027-01-15 22:30"))  # 21:30 UTC


def test_throttle() -> None:
    assert not throttled(None, 1800, 1000.0)
    assert throttled(0.0, 1800, 1799.0)
    assert not throttled(0.0, 1800, 1800.0)
    assert not throttled(0.0, 0, 0.0)


def test_default_routing_by_severity() -> None:
    assert route("P0") == [Target("pager"), Target("chat")]
    assert route("P1") == [Target("pager"), Target("chat")]
    assert route("P2") == [Target("chat")]
    assert route("P3") == [Target("digest_email")]
    assert route(None) == [Target("chat")]  # no severity: P2


def test_rule_targets_override() -> None:
    targets = {"P1": [7, 8], "*": [3]}
    assert route("P1", targets) == [Target(CHANNEL, 7), Target(CHANNEL, 8)]
    assert route("P3", targets) == [Target(CHANNEL, 3)]
    assert route("P0", {"P1": [7]}) == [Target("pager"), Target("chat")]  # not named
    assert route("P2", {"P2": []}) == []  # explicitly silent

"""Cron monitors' schedules: the next expected check-in for crontabs in a time zone
(across daylight-saving changes) and for intervals, and the checks on input."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from faultbox.schedules import Schedule, parse_schedule

BERLIN = ZoneInfo("Europe/Berlin")


def at(*parts: int, tz: ZoneInfo | None = None) -> float:
    return datetime(*parts, tzinfo=tz or UTC).timestamp()  # type: ignore[misc]


def test_crontab_next_time_is_strictly_after() -> None:
    hourly = parse_schedule("crontab", "0 * * * *")
    assert hourly.next_after(at(2027, 1, 15, 8, 0)) == at(2027, 1, 15, 9, 0)
    assert hourly.next_after(at(2027, 1, 15, 8, 0, 30)) == at(2027, 1, 15, 9, 0)
    assert hourly.next_after(at(2027, 1, 15, 7, 59, 59)) == at(2027, 1, 15, 8, 0)


def test_crontab_is_read_in_the_monitors_time_zone() -> None:
    daily = parse_schedule("crontab", "30 9 * * *", timezone="Europe/Berlin")
    # 09:30 in Berlin is 08:30 UTC in winter, 07:30 UTC in summer.
    assert daily.next_after(at(2027, 1, 15, 0, 0)) == at(2027, 1, 15, 8, 30)
    assert daily.next_after(at(2027, 7, 15, 0, 0)) == at(2027, 7, 15, 7, 30)


def test_crontab_across_spring_forward_runs_after_the_gap_once() -> None:
    # 2027-03-28 02:00 → 03:00 in Berlin: 02:30 does not exist that night.
    nightly = parse_schedule("crontab", "30 2 * * *", timezone="Europe/Berlin")
    first = nightly.next_after(at(2027, 3, 27, 12, 0, tz=BERLIN))
    assert first == at(2027, 3, 28, 3, 0, tz=BERLIN)
    assert nightly.next_after(first) == at(2027, 3, 29, 2, 30, tz=BERLIN)


def test_crontab_across_fall_back_runs_the_repeated_hour_once() -> None:
    # 2027-10-31 03:00 → 02:00 in Berlin: 02:30 happens twice; cron runs it once.
    nightly = parse_schedule("crontab", "30 2 * * *", timezone="Europe/Berlin")
    first = nightly.next_after(at(2027, 10, 30, 12, 0, tz=BERLIN))
    second = nightly.next_after(first)
    assert first == datetime(2027, 10, 31, 0, 30, tzinfo=UTC).timestamp()  # 02:30 CEST
    assert second - first == 25 * 3600  # the next night's 02:30 CET


def test_intervals_count_from_the_check_in() -> None:
    start = at(2027, 1, 31, 10, 15, 7)
    assert parse_schedule("interval", 10, "minute").next_after(start) == start + 600
    assert parse_schedule("interval", 2, "hour").next_after(start) == start + 7200
    assert parse_schedule("interval", 1, "week").next_after(start) == start + 7 * 86400
    # A month from January 31st is the last day of February.
    assert parse_schedule("interval", 1, "month").next_after(start) == at(2027, 2, 28, 10, 15, 7)
    assert parse_schedule("interval", 1, "year").next_after(start) == at(2028, 1, 31, 10, 15, 7)


def test_stored_interval_text_round_trips() -> None:
    schedule = parse_schedule("interval", "15 minute")
    assert schedule == Schedule("interval", "15 minute", "UTC")
    assert schedule.describe() == "every 15 minutes"
    assert parse_schedule("crontab", "@hourly").value == "0 * * * *"


@pytest.mark.parametrize(
    ("kind", "value", "unit", "timezone", "message"),
    [
        ("crontab", "61 * * * *", None, None, "crontab"),
        ("crontab", "* * * * * *", None, None, "five fields"),
        ("crontab", "", None, None, "needs a value"),
        ("crontab", 5, None, None, "needs a value"),
        ("interval", 0, "minute", None, "whole number"),
        ("interval", 1.5, "minute", None, "whole number"),
        ("interval", True, "minute", None, "whole number"),
        ("interval", 5, "second", None, "unit"),
        ("weekly", "x", None, None, "schedule type"),
        ("crontab", "0 * * * *", None, "Mars/Olympus", "unknown time zone"),
        ("crontab", "0 * * * *", None, 7, "timezone"),
    ],
)
def test_bad_schedules_say_what_is_wrong(
    kind: str, value: object, unit: object, timezone: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        parse_schedule(kind, value, unit, timezone)

"""The month arithmetic and names of PostgreSQL's events partitions (no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from faultbox.store.partitions import is_partition_table, month_of


def _at(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("moment", "name", "start", "end"),
    [
        (_at(2026, 11, 30, 23, 59, 59), "events_p202611", _at(2026, 11, 1), _at(2026, 12, 1)),
        (_at(2026, 12, 31, 12), "events_p202612", _at(2026, 12, 1), _at(2027, 1, 1)),
        (_at(2027, 1, 1), "events_p202701", _at(2027, 1, 1), _at(2027, 2, 1)),  # a bound
        (_at(2028, 2, 29, 6), "events_p202802", _at(2028, 2, 1), _at(2028, 3, 1)),
    ],
)
def test_a_moment_falls_in_its_utc_calendar_month(
    moment: float, name: str, start: float, end: float
) -> None:
    month = month_of(moment)
    assert (month.name, month.start, month.end) == (name, start, end)
    assert month.start <= moment < month.end
    assert month_of(month.end).start == month.end  # months tile time without gaps


def test_the_tables_schema_py_does_not_describe() -> None:
    assert is_partition_table("events_p202611")
    assert is_partition_table("events_default") and is_partition_table("event_ids")
    assert not is_partition_table("events")
    assert not is_partition_table("events_p2026")  # not a month's name
    assert not is_partition_table("issue_hourly")

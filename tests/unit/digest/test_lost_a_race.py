"""A deadlock or serialization failure is retried at once; an outage backs off."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from faultbox.digest.worker import _lost_a_race
from faultbox.queue.base import QueueUnavailable


class _DriverError(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def test_only_lost_races_are_retried_at_once() -> None:
    def wrapped(sqlstate: str | None) -> OperationalError:
        return OperationalError("UPDATE issues …", {}, _DriverError(sqlstate))

    assert _lost_a_race(wrapped("40P01"))  # deadlock detected
    assert _lost_a_race(wrapped("40001"))  # serialization failure
    assert not _lost_a_race(wrapped("08006"))  # connection failure: back off
    assert not _lost_a_race(wrapped(None))
    assert not _lost_a_race(QueueUnavailable("redis: connection refused"))

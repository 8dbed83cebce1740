"""The time window of a stats request (``?period=30d``) and the trend of a metric
against the previous window of the same length."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from faultbox.query.timefmt import iso

_PERIOD = re.compile(r"^([0-9]{1,4})([hdw])$")
_UNIT = {"h": 3600, "d": 86400, "w": 7 * 86400}
MIN_PERIOD = 3600
MAX_PERIOD = 365 * 86400
# A change smaller than this (relative to the previous value) reads as "stable":
# 101 open errors against 100 is noise, not a trend.
STABLE_WITHIN = 0.05


class BadStatsRequest(ValueError):
    """A parameter the stats cannot work with; the message says which (an HTTP 400)."""


@dataclass(frozen=True, slots=True)
class Window:
    """``[start, end)`` with ``end`` = now, and the previous window just before it."""

    period: str
    seconds: int
    end: float

    @property
    def start(self) -> float:
        return self.end - self.seconds

    @property
    def previous_start(self) -> float:
        return self.end - 2 * self.seconds

    def json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "start": iso(self.start),
            "end": iso(self.end),
            "previous_start": iso(self.previous_start),
        }


def parse_window(period: str, now: float) -> Window:
    match = _PERIOD.match(period.strip())
    seconds = int(match.group(1)) * _UNIT[match.group(2)] if match else 0
    if not MIN_PERIOD <= seconds <= MAX_PERIOD:
        raise BadStatsRequest(
            f"period must be a number with h (hours), d (days) or w (weeks), from 1h to "
            f"365d, like 24h, 30d or 4w; got {period[:40]!r}"
        )
    return Window(period.strip(), seconds, now)


def trend(value: float | None, previous: float | None, *, lower_is_better: bool) -> dict[str, Any]:
    """``value`` against ``previous``: change in %, direction (up, down, stable) and
    what that means for this metric (improving, worsening, unchanged). Unknown (None)
    when either side has no value, e.g. a mean time over no resolutions."""
    out: dict[str, Any] = {
        "value": value,
        "previous": previous,
        "change_pct": None,
        "direction": None,
        "assessment": None,
    }
    if value is None or previous is None:
        return out
    if previous:
        out["change_pct"] = round((value - previous) / abs(previous) * 100, 1)
    if math.isclose(value, previous) or abs(value - previous) <= STABLE_WITHIN * abs(previous):
        out["direction"], out["assessment"] = "stable", "unchanged"
        return out
    up = value > previous
    out["direction"] = "up" if up else "down"
    out["assessment"] = "worsening" if up == lower_is_better else "improving"
    return out


def share(part: int, total: int) -> float:
    """``part`` as a percentage of ``total`` with two decimals, rounded down so that
    the shares of disjoint parts never add up to more than 100."""
    if total <= 0:
        return 0.0
    return math.floor(part * 10_000 / total) / 100

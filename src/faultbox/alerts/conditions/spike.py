"""A spike: the filtered stream's count in the current window ``(now - W, now]`` is
above its baseline, mean + k·stddev of the same series, and at least ``min_count``.

Params: ``window`` (W seconds, default 3600), ``days`` (D, default 7), ``k`` (default
3), ``min_count`` (default 10), ``baseline``:

* ``"seasonal"`` (default): the same window on each of the previous D days, so a daily
  peak compares with the previous days' peaks and is not a spike when they had it too;
* ``"flat"``: every window of length W over the previous D days.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Connection, Integer, cast, func, select

from faultbox.alerts.conditions.stream import count, event_filter, in_window
from faultbox.alerts.model import Measurement
from faultbox.store.alert_rules import RuleRow
from faultbox.store.schema import events

DAY = 86400.0


def evaluate(conn: Connection, rule: RuleRow, now: float) -> list[Measurement]:
    window = float(rule.params.get("window", 3600))
    days = int(rule.params.get("days", 7))
    k = float(rule.params.get("k", 3))
    minimum = float(rule.params.get("min_count", 10))
    where = event_filter(conn, rule, now)
    current = count(conn, where, now - window, now)
    if rule.params.get("baseline", "seasonal") == "flat":
        history = _flat(conn, where, now, window, days)
    else:
        days_back = [d * DAY for d in range(1, days + 1)]
        history = [count(conn, where, now - back - window, now - back) for back in days_back]
    mean = sum(history) / len(history) if history else 0.0
    spread = math.sqrt(sum((n - mean) ** 2 for n in history) / len(history)) if history else 0.0
    limit = max(mean + k * spread, minimum)
    crossed = current > mean + k * spread and current >= minimum
    if not crossed:
        return []
    why = f"{current} events in {window:g}s; baseline {mean:.1f} ± {spread:.1f} (k={k:g})"
    return [Measurement("stream", current, limit, None, why)]


def _flat(conn: Connection, where: list[Any], now: float, window: float, days: int) -> list[int]:
    """Counts of the windows ``(now - (j+1)W, now - jW]`` for j = 1..D·day/W."""
    windows = max(1, int(days * DAY // window))
    ratio = (now - events.c.timestamp) / window
    # Non-negative here: truncation is the floor (PostgreSQL's CAST rounds instead).
    bucket = func.floor(ratio) if conn.dialect.name == "postgresql" else cast(ratio, Integer)
    rows = conn.execute(
        select(bucket.label("b"), func.count())
        .where(*where, in_window(now - (windows + 1) * window, now - window))
        .group_by("b")
    )
    counts = dict.fromkeys(range(1, windows + 1), 0)
    for b, n in rows:
        if int(b) in counts:
            counts[int(b)] = int(n)
    return list(counts.values())

"""Error counts over time by service, environment or release.

Counted from the events table with one GROUP BY (time bucket, value): exact, since
the per-issue aggregates cannot answer it (``issue_hourly`` has no values and
``issue_tags`` no hours, and splitting an hour by an issue's lifetime value shares
would smear a release's errors over hours it did not exist in). The scan reads the
events of the window through ``ix_events_project_id_timestamp``; see
docs/benchmarks.md ("Stats") for its cost and the index that makes it covering.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from faultbox.query.stats.window import BadStatsRequest, Window
from faultbox.query.timefmt import iso
from faultbox.store.dialect import epoch_bucket
from faultbox.store.schema import events

BY = {
    "service": events.c.service,
    "environment": events.c.environment,
    "release": events.c.release,
}
INTERVALS = {"hour": 3600, "day": 86400}
MAX_BUCKETS = 31 * 24 + 1  # hourly buckets for a month; a year of days fits too


def pick_interval(window: Window, interval: str | None) -> tuple[str, int]:
    """The bucket size: as asked, else hours up to two days and days beyond."""
    if interval is None:
        interval = "hour" if window.seconds <= 2 * 86400 else "day"
    if interval not in INTERVALS:
        raise BadStatsRequest(f"interval must be hour or day; got {interval[:40]!r}")
    size = INTERVALS[interval]
    if int(window.end // size) - int(window.start // size) + 1 > MAX_BUCKETS:
        raise BadStatsRequest(
            f"interval=hour covers at most 31 days; use interval=day for period={window.period}"
        )
    return interval, size


def series(
    conn: Connection,
    project_ids: Sequence[int],
    window: Window,
    *,
    by: str,
    interval: str | None,
    limit: int,
    environment: str | None = None,
) -> dict[str, Any]:
    """Counts per bucket for the ``limit`` values with the most events (no value is
    a value: null), the rest summed as ``other``; only the events of ``environment``
    when one is given. Buckets are whole UTC hours or
    days, the first one starting at or before the window's start."""
    if by not in BY:
        raise BadStatsRequest(f"by must be one of {', '.join(BY)}; got {by[:40]!r}")
    interval, size = pick_interval(window, interval)
    first, last = int(window.start // size), int(window.end // size)
    n_buckets = last - first + 1
    bucket = epoch_bucket(conn, events.c.timestamp, size).label("bucket")
    value = BY[by].label("value")
    query = select(bucket, value, func.count().label("n")).where(
        events.c.project_id.in_(project_ids),
        events.c.timestamp >= first * size,
        events.c.timestamp < (last + 1) * size,
    )
    if environment is not None:
        query = query.where(events.c.environment == environment)
    rows = conn.execute(query.group_by(bucket, value))
    counts: dict[str | None, list[int]] = defaultdict(lambda: [0] * n_buckets)
    for row in rows:
        counts[row.value][int(row.bucket) - first] += int(row.n)
    ranked = sorted(counts.items(), key=lambda kv: (-sum(kv[1]), kv[0] or ""))
    other = [0] * n_buckets
    for _, per_bucket in ranked[limit:]:
        other = [a + b for a, b in zip(other, per_bucket, strict=True)]
    totals = [sum(c[i] for c in counts.values()) for i in range(n_buckets)]
    return {
        **window.json(),
        "by": by,
        "interval": interval,
        "buckets": [iso((first + i) * size) for i in range(n_buckets)],
        "total": totals,
        "series": [{"value": v, "total": sum(c), "counts": c} for v, c in ranked[:limit]],
        "other": {"values": len(ranked) - limit, "total": sum(other), "counts": other}
        if len(ranked) > limit
        else None,
    }

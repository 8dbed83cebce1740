"""Event counts per hour or day for many issues at once: the stream's sparklines."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select

from faultbox.store.schema import issue_hourly

PERIODS = {"24h": (24, 1), "14d": (14, 24)}  # name -> (buckets, hours per bucket)


def issue_buckets(
    conn: Connection, issue_ids: Sequence[int], *, period: str, now: float
) -> dict[int, list[int]]:
    """Per issue, the event counts of the period's buckets, oldest first (zeros filled)."""
    buckets, hours = PERIODS[period]
    now_hour = int(now // 3600)
    # Days are aligned to UTC midnight; the last bucket is the current hour or day.
    last = now_hour // hours
    first_hour = (last - buckets + 1) * hours
    out = {issue_id: [0] * buckets for issue_id in issue_ids}
    if not issue_ids:
        return out
    rows = conn.execute(
        select(issue_hourly.c.issue_id, issue_hourly.c.hour, issue_hourly.c.count).where(
            issue_hourly.c.issue_id.in_(sorted(set(issue_ids))),
            issue_hourly.c.hour >= first_hour,
            issue_hourly.c.hour <= now_hour,
        )
    )
    for issue_id, hour, count in rows:
        index = int(hour) // hours - (last - buckets + 1)
        if 0 <= index < buckets:
            out[int(issue_id)][index] += int(count)
    return out

"""The quick-stats summary: active errors, resolutions and mean times to resolve
and to detect, P0/P1 counts, new issues, each against the previous window.

What happened is read from the activity log (``store/activity.py``), so the previous
window is answered as exactly as the current one, including the open counts as they
stood when the window began (replayed backwards from the log).
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import fmean
from typing import Any

from sqlalchemy import Connection, case, func, select

from faultbox.query.stats.open_counts import open_counts
from faultbox.query.stats.response_times import Durations, detection_times, resolution_times
from faultbox.query.stats.window import Window, trend
from faultbox.store.schema import issues


def summary(conn: Connection, project_ids: Sequence[int], window: Window) -> dict[str, Any]:
    now, then = open_counts(conn, project_ids, window.start)
    resolutions = resolution_times(conn, project_ids, window)
    new_now, new_before = _new_issues(conn, project_ids, window)

    def lower_is_better(key: str) -> dict[str, Any]:
        return trend(now[key], then[key], lower_is_better=True)

    return {
        **window.json(),
        "metrics": {
            "active_errors": lower_is_better("open"),
            "resolved": trend(
                len(resolutions.current), len(resolutions.previous), lower_is_better=False
            ),
            "mttr_seconds": _mean_trend(resolutions),
            "mttd_seconds": _mean_trend(detection_times(conn, project_ids, window)),
            "p0_open": lower_is_better("P0"),
            "p1_open": lower_is_better("P1"),
            "new_issues": trend(new_now, new_before, lower_is_better=True),
        },
    }


def _mean_trend(durations: Durations) -> dict[str, Any]:
    def mean(values: list[float]) -> float | None:
        return round(fmean(values), 1) if values else None

    return {
        **trend(mean(durations.current), mean(durations.previous), lower_is_better=True),
        "sample": len(durations.current),
        "previous_sample": len(durations.previous),
    }


def _new_issues(conn: Connection, project_ids: Sequence[int], window: Window) -> tuple[int, int]:
    first = issues.c.first_seen
    row = conn.execute(
        select(
            func.coalesce(func.sum(case((first >= window.start, 1), else_=0)), 0),
            func.coalesce(func.sum(case((first < window.start, 1), else_=0)), 0),
        ).where(
            issues.c.project_id.in_(project_ids),
            first >= window.previous_start,
            first < window.end,
        )
    ).one()
    return int(row[0]), int(row[1])

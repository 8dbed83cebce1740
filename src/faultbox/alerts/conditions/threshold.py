"""More than N events in the last W seconds: for the filtered stream, per issue
(``group_by: "issue"``, or one issue with ``issue_id``) or per user (``per_user``).

Params: ``count`` (N; fires when the window holds N+1 or more), ``window`` (W
seconds, the window is ``(now - W, now]``), ``group_by`` ("stream", "issue", "user").
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from faultbox.alerts.conditions.stream import event_filter, in_window, window_seconds
from faultbox.alerts.model import Measurement
from faultbox.store.alert_rules import RuleRow
from faultbox.store.schema import events


def evaluate(conn: Connection, rule: RuleRow, now: float) -> list[Measurement]:
    limit = int(rule.params.get("count", 0))
    window = window_seconds(rule.params)
    group_by = rule.params.get("group_by", "issue" if "issue_id" in rule.params else "stream")
    where = [*event_filter(conn, rule, now), in_window(now - window, now)]
    total = func.count().label("n")
    if group_by == "stream":
        n = int(conn.execute(select(total).select_from(events).where(*where)).scalar_one())
        if n <= limit:
            return []
        return [Measurement("stream", n, limit, None, f"{n} events in {window:g}s (> {limit})")]
    column = events.c.issue_id if group_by == "issue" else events.c.user_key
    if group_by == "user":
        where.append(events.c.user_key.is_not(None))
    rows = conn.execute(
        select(column, total).where(*where).group_by(column).having(func.count() > limit)
    )
    found: list[Measurement] = []
    for key, n in rows:
        if group_by == "issue":
            found.append(
                Measurement(
                    f"issue:{key}", n, limit, int(key), f"{n} events in {window:g}s (> {limit})"
                )
            )
        else:
            found.append(
                Measurement(f"user:{key}", n, limit, None, f"user {key}: {n} events in {window:g}s")
            )
    return found

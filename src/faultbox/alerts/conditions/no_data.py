"""No data: a stream (the project, or a service through the filter
``service:payments``) that reported regularly has had no event for T seconds.

Regular: each of the ``periods`` (default 3) periods of length T up to its last event
held at least one event, so a service that reported once, or now and then, never
fires. Params: ``period`` (T seconds, default 3600), ``periods``.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from faultbox.alerts.conditions.stream import count, event_filter
from faultbox.alerts.model import Measurement
from faultbox.store.alert_rules import RuleRow
from faultbox.store.schema import events


def evaluate(conn: Connection, rule: RuleRow, now: float) -> list[Measurement]:
    period = float(rule.params.get("period", 3600))
    periods = int(rule.params.get("periods", 3))
    where = event_filter(conn, rule, now)
    last = conn.execute(
        select(func.max(events.c.timestamp)).where(*where, events.c.timestamp <= now)
    ).scalar_one_or_none()
    if last is None:
        return []
    silence = now - float(last)
    if silence < period:
        return []
    for k in range(2, periods + 1):  # period 1 holds the last event itself
        if count(conn, where, last - k * period, last - (k - 1) * period) == 0:
            return []
    why = f"no event for {silence:g}s (reported at least every {period:g}s before)"
    return [Measurement("stream", silence, period, None, why)]

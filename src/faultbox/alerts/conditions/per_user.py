"""One user (``events.user_key``) with more than N events in the last W seconds.

Params: ``count`` (N) and ``window`` (W seconds); the rule's filter narrows the events.
Each user is its own subject: crossing, throttle and state are per user.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Connection

from faultbox.alerts.conditions import threshold
from faultbox.alerts.model import Measurement
from faultbox.store.alert_rules import RuleRow


def evaluate(conn: Connection, rule: RuleRow, now: float) -> list[Measurement]:
    per_user = replace(rule, params={**rule.params, "group_by": "user"})
    return threshold.evaluate(conn, per_user, now)

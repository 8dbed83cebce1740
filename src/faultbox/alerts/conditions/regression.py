"""A regression: an issue the lifecycle reopened. The lifecycle alone decides what is
a regression (an event from a release newer than the fix, lifecycle/regression.py) and
records it as a ``regression`` activity; this condition reads those records since the
rule exists, within the look-back (``lookback`` seconds, default a day)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from faultbox.alerts.model import Measurement
from faultbox.query.search import SearchQuery
from faultbox.store.alert_rules import RuleRow
from faultbox.store.schema import issue_activity, issues

LOOKBACK = 86400.0


def evaluate(conn: Connection, rule: RuleRow, now: float) -> list[Measurement]:
    since = max(rule.created_at, now - float(rule.params.get("lookback", LOOKBACK)))
    query = (
        select(issue_activity.c.id, issue_activity.c.issue_id, issue_activity.c.new_value)
        .join(issues, issues.c.id == issue_activity.c.issue_id)
        .where(
            issue_activity.c.project_id == rule.project_id,
            issue_activity.c.kind == "regression",
            issue_activity.c.created_at >= since,
            issue_activity.c.created_at <= now,
        )
    )
    if rule.filter.strip():
        search = SearchQuery(SearchQuery.parse(rule.filter).terms, now=now)
        query = query.where(*search.conditions(conn.dialect.name))
    return [
        Measurement(
            f"issue:{issue_id}",
            1,
            0,
            int(issue_id),
            f"regression in release {release}" if release else "regression",
            f"regression:{activity_id}",
        )
        for activity_id, issue_id, release in conn.execute(query.order_by(issue_activity.c.id))
    ]

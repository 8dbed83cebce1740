"""A new issue: each issue of the project (matching the filter) first seen since the
rule exists, within the look-back (``lookback`` seconds, default a day: the digest's
hook evaluates at once, the periodic job catches what a crash lost)."""

from __future__ import annotations

from sqlalchemy import Connection, select

from faultbox.alerts.model import Measurement
from faultbox.query.search import SearchQuery
from faultbox.store.alert_rules import RuleRow
from faultbox.store.schema import issues

LOOKBACK = 86400.0


def evaluate(conn: Connection, rule: RuleRow, now: float) -> list[Measurement]:
    since = max(rule.created_at, now - float(rule.params.get("lookback", LOOKBACK)))
    query = select(issues.c.id, issues.c.title).where(
        issues.c.project_id == rule.project_id,
        issues.c.first_seen >= since,
        issues.c.first_seen <= now,
    )
    if rule.filter.strip():
        search = SearchQuery(SearchQuery.parse(rule.filter).terms, now=now)
        query = query.where(*search.conditions(conn.dialect.name))
    return [
        Measurement(
            f"issue:{issue_id}", 1, 0, int(issue_id), f"new issue: {title}", f"new:{issue_id}"
        )
        for issue_id, title in conn.execute(query.order_by(issues.c.id))
    ]

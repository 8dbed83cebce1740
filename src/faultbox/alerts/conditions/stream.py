"""The events a rule looks at: its project, its issue-search filter, a time range."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, select

from faultbox.query.search import SearchQuery
from faultbox.query.search.terms import AnyTerm, TagTerm, Term
from faultbox.store.alert_rules import RuleRow
from faultbox.store.schema import events, issues

# Search keys that are also columns of the event: filtered on the event itself too, so
# ``service:payments`` counts the payments events of an issue seen in several services.
_EVENT_COLUMNS = {
    "level": events.c.level,
    "service": events.c.service,
    "environment": events.c.environment,
    "release": events.c.release,
}


def event_filter(conn: Connection, rule: RuleRow, now: float) -> list[ColumnElement[bool]]:
    """Conditions on ``events`` for the rule's project and filter (no time range)."""
    clauses: list[ColumnElement[bool]] = [events.c.project_id == rule.project_id]
    if "issue_id" in rule.params:
        clauses.append(events.c.issue_id == int(rule.params["issue_id"]))
    if not rule.filter.strip():
        return clauses
    query = SearchQuery.parse(rule.filter)
    query = SearchQuery(query.terms, now=now)
    matching = select(issues.c.id).where(
        issues.c.project_id == rule.project_id, *query.conditions(conn.dialect.name)
    )
    clauses.append(events.c.issue_id.in_(matching))
    for term in query.terms:
        if term.negated:
            continue
        values = _exact_values(term.terms if isinstance(term, AnyTerm) else (term,))
        if values is not None:
            column, exact = values
            clauses.append(func.lower(column).in_(sorted(exact)))
    return clauses


def _exact_values(terms: tuple[Term, ...]) -> tuple[Any, set[str]] | None:
    """The event column and values when every term is ``key:value`` (no wildcard) on one
    event column; else None (the issue-level filter alone decides)."""
    exact = [t for t in terms if isinstance(t, TagTerm) and len(t.segments) == 1]
    if len(exact) != len(terms) or len({t.key for t in exact}) != 1:
        return None
    column = _EVENT_COLUMNS.get(exact[0].key)
    if column is None:
        return None
    return column, {t.segments[0].lower() for t in exact}


def in_window(start: float, end: float) -> ColumnElement[bool]:
    """Events in ``(start, end]``."""
    return and_(events.c.timestamp > start, events.c.timestamp <= end)


def count(conn: Connection, where: list[ColumnElement[bool]], start: float, end: float) -> int:
    found = conn.execute(
        select(func.count()).select_from(events).where(*where, in_window(start, end))
    ).scalar_one()
    return int(found)


def window_seconds(params: dict[str, Any], default: float = 60.0) -> float:
    return float(params.get("window", default))

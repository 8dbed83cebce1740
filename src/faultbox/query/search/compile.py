"""Typed terms → SQLAlchemy conditions on ``issues``.

Each term's positive condition is never NULL (nullable columns are tested for NULL
first), so ``NOT`` is its exact complement: ``!key:value`` finds precisely the
issues ``key:value`` does not.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)

from faultbox.lifecycle.severity import SEVERITIES
from faultbox.lifecycle.status import FIXED, OPEN
from faultbox.query.overdue import overdue_clause
from faultbox.query.search.terms import (
    AnyTerm,
    AssignedTerm,
    CountTerm,
    DateTerm,
    IsTerm,
    Op,
    SeverityTerm,
    StatusTerm,
    TagTerm,
    Term,
    TextTerm,
    UserTerm,
)
from faultbox.query.search.text_index import text_clauses
from faultbox.query.search.values import time_range
from faultbox.store.schema import issue_tags, issue_users, issues, users

# A search key that also reads the facet the digest derives under another name.
_TAG_KEYS = {"browser": ("browser", "browser.name"), "os": ("os", "os.name")}
_LOWERCASE_KEYS = frozenset({"level", "environment", "release", "service", "url", *_TAG_KEYS})
_COMPARE: dict[Op, Callable[[Any, Any], Any]] = {
    Op.EQ: operator.eq,
    Op.GT: operator.gt,
    Op.GE: operator.ge,
    Op.LT: operator.lt,
    Op.LE: operator.le,
}


def conditions(
    terms: Sequence[Term], *, dialect: str, user_id: int | None, now: float
) -> list[ColumnElement[bool]]:
    """One condition per term (free-text terms share one index lookup), to be ANDed."""
    out = [_condition(t, user_id, now) for t in terms if not isinstance(t, TextTerm)]
    return out + text_clauses([t for t in terms if isinstance(t, TextTerm)], dialect)


def _condition(term: Term, user_id: int | None, now: float) -> ColumnElement[bool]:
    positive = _positive(term, user_id, now)
    return not_(positive) if term.negated else positive


def _positive(term: Term, user_id: int | None, now: float) -> ColumnElement[bool]:
    c = issues.c
    match term:
        case AnyTerm(terms):
            # Each alternative is never NULL, so neither is their OR: NOT stays exact.
            return or_(*(_positive(t, user_id, now) for t in terms))
        case TagTerm(key, segments):
            keys = _TAG_KEYS.get(
                key.lower(), (key.lower() if key.lower() in _LOWERCASE_KEYS else key,)
            )
            t = issue_tags.c
            return exists().where(t.issue_id == c.id, t.key.in_(keys), _matches(t.value, segments))
        case UserTerm(field, segments):
            u = issue_users.c
            first, *rest = segments
            return exists().where(
                u.issue_id == c.id, _matches(u.user_key, (f"{field}:{first}", *rest))
            )
        case IsTerm(value):
            return _is(value, now)
        case StatusTerm(value):
            return c.status.in_(sorted(OPEN)) if value == "unresolved" else c.status == value
        case AssignedTerm(value):
            return _assigned(value, user_id)
        case SeverityTerm(op, value):
            if value == "none":
                return c.severity.is_(None)
            allowed = [s for s in SEVERITIES if _COMPARE[op](int(s[1:]), int(value[1:]))]
            return and_(c.severity.is_not(None), c.severity.in_(allowed))
        case CountTerm(key, op, value):
            column = c.times_seen if key == "times-seen" else c.users_seen
            compared: ColumnElement[bool] = _COMPARE[op](column, value)
            return compared
        case DateTerm(key):
            return _dates(c.first_seen if key == "first-seen" else c.last_seen, term, now)
    raise AssertionError(term)  # pragma: no cover - TextTerm is handled by text_clauses


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _matches(column: Any, segments: Sequence[str]) -> ColumnElement[bool]:
    """Case-insensitive, as the rule matchers: lower() on both sides, so SQLite
    (ASCII-only lower) and PostgreSQL each compare like with like."""
    if len(segments) == 1:
        return func.lower(column) == func.lower(literal(segments[0]))
    if not "".join(segments):
        return true()
    pattern = "%".join(_like_escape(s) for s in segments)
    return func.lower(column).like(func.lower(literal(pattern)), escape="\\")


def _is(value: str, now: float) -> ColumnElement[bool]:
    c = issues.c
    if value == "unresolved":
        return c.status.in_(sorted(OPEN))
    if value in ("fixed", "resolved"):  # Sentry's is:resolved: the fix is in, verified or not
        return c.status.in_(sorted(FIXED))
    if value == "assigned":
        return c.assignee_id.is_not(None)
    if value == "unassigned":
        return c.assignee_id.is_(None)
    if value == "regression":
        return c.is_regression == true()
    if value == "overdue":
        overdue: ColumnElement[bool] = overdue_clause(now)
        return overdue
    return c.status == value


def _assigned(value: str, user_id: int | None) -> ColumnElement[bool]:
    c = issues.c
    if value == "none":
        return c.assignee_id.is_(None)
    if value == "me":
        return and_(c.assignee_id.is_not(None), c.assignee_id == user_id) if user_id else false()
    owner = select(users.c.id).where(func.lower(users.c.email) == func.lower(literal(value)))
    return and_(c.assignee_id.is_not(None), c.assignee_id.in_(owner))


def _dates(column: Any, term: DateTerm, now: float) -> ColumnElement[bool]:
    span = time_range(term, now)
    parts = []
    if span.low is not None:
        parts.append(column >= span.low if span.low_inclusive else column > span.low)
    if span.high is not None:
        parts.append(column <= span.high if span.high_inclusive else column < span.high)
    return and_(*parts)

"""Open issues (all, P0, P1) now, and as they stood at an earlier time: replayed
backwards from the activity log, so that the trend compares like with like."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, case, func, select

from faultbox.lifecycle.status import OPEN, Status
from faultbox.store.schema import issue_activity, issues

_OPEN = sorted(s.value for s in OPEN)
URGENT = ("P0", "P1")
# Entries that change an issue's status, and the status each says it had before.
# A regression's old_value is a release, but the issue was fixed then; an ended
# ignore was ignored.
STATUS_KINDS = ("status", "regression", "unignored")
_BEFORE = {"regression": Status.RESOLVED.value, "unignored": Status.IGNORED.value}

Counts = dict[str, int]  # "open", "P0", "P1"


def open_counts(conn: Connection, project_ids: Sequence[int], at: float) -> tuple[Counts, Counts]:
    """The counts now and at ``at``. Then = now, minus the issues first seen since,
    minus the older issues whose status or severity changed since, plus those as
    the log says they were (the old value of their first change after ``at``)."""
    i = issues.c
    new_since = case((i.first_seen > at, 1), else_=0)
    rows = conn.execute(
        select(i.severity, func.count(), func.sum(new_since))
        .where(i.project_id.in_(project_ids), i.status.in_(_OPEN))
        .group_by(i.severity)
    ).all()
    now = _zero()
    then = _zero()
    for severity, n, new in rows:
        _count(now, Status.DETECTED.value, severity, int(n))
        _count(then, Status.DETECTED.value, severity, int(n) - int(new or 0))
    for status, severity, old_status, old_severity in _changed_since(conn, project_ids, at):
        _count(then, status, severity, -1)
        _count(then, old_status, old_severity, +1)
    return now, then


def _zero() -> Counts:
    return {"open": 0, **{s: 0 for s in URGENT}}


def _count(counts: Counts, status: str | None, severity: str | None, n: int) -> None:
    if status in OPEN:
        counts["open"] += n
        if severity in URGENT:
            counts[severity] += n


def _changed_since(conn: Connection, project_ids: Sequence[int], at: float) -> Any:
    """(status, severity, status then, severity then) of the issues that existed at
    ``at`` and whose status or severity changed since: usually a few hundred."""
    a = issue_activity.c
    i = issues.c
    changed = select(a.issue_id).where(
        a.project_id.in_(project_ids),
        a.kind.in_((*STATUS_KINDS, "severity")),
        a.created_at > at,
    )
    x = issue_activity.alias("x")
    status_then = _first_after(
        at,
        x,
        x.c.kind.in_(STATUS_KINDS),
        case(*((x.c.kind == k, v) for k, v in _BEFORE.items()), else_=x.c.old_value),
    )
    y = issue_activity.alias("y")
    # "-": that change gave the issue its first severity (it had none).
    severity_then = _first_after(at, y, y.c.kind == "severity", func.coalesce(y.c.old_value, "-"))
    return conn.execute(
        select(
            i.status,
            i.severity,
            func.coalesce(status_then, i.status),
            func.coalesce(severity_then, i.severity),
        ).where(i.project_id.in_(project_ids), i.first_seen <= at, i.id.in_(changed))
    ).all()


def _first_after(at: float, x: Any, kinds: Any, value: Any) -> Any:
    return (
        select(value)
        .where(x.c.issue_id == issues.c.id, kinds, x.c.created_at > at)
        .order_by(x.c.created_at, x.c.id)
        .limit(1)
        .scalar_subquery()
    )

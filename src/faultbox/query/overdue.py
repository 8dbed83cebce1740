"""Severity, type and the overdue flag of an issue as the API shows them, and the
same overdue rule as SQL for the list filter (both read ``lifecycle.severity``'s
targets, so the flag and the filter cannot disagree)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, not_, or_

from faultbox.lifecycle.severity import TARGET_SECONDS, clock_start, overdue_at, overdue_since
from faultbox.lifecycle.status import OPEN
from faultbox.query.timefmt import iso
from faultbox.store.schema import issues


def severity_json(row: dict[str, Any], now: float) -> dict[str, Any]:
    """``response_due_at``: when the target runs out while nobody has acknowledged the
    issue (None once acknowledged, or without a severity)."""
    since = clock_start(row["first_seen"], row["regressed_at"])
    acknowledged = row["acknowledged_at"] is not None and row["acknowledged_at"] >= since
    due = None if acknowledged or row["status"] not in OPEN else overdue_at(row["severity"], since)
    late = overdue_since(
        status=row["status"],
        severity=row["severity"],
        first_seen=row["first_seen"],
        regressed_at=row["regressed_at"],
        acknowledged_at=row["acknowledged_at"],
        now=now,
    )
    return {
        "severity": row["severity"],
        "severity_reason": row["severity_reason"],
        "taxonomy": row["taxonomy"],
        "taxonomy_reason": row["taxonomy_reason"],
        "response_due_at": iso(due),
        "overdue": late is not None,
        "overdue_since": iso(late),
    }


def overdue_clause(now: float, overdue: bool = True) -> Any:
    """Issues overdue at ``now`` (or not): never NULL, so the negation is exact."""
    c = issues.c
    since = case(
        (and_(c.regressed_at.isnot(None), c.regressed_at > c.first_seen), c.regressed_at),
        else_=c.first_seen,
    )
    target = case(*((c.severity == s, t) for s, t in TARGET_SECONDS.items()), else_=None)
    clause = and_(
        c.status.in_(sorted(OPEN)),
        c.severity.isnot(None),
        c.severity.in_(sorted(TARGET_SECONDS)),
        since + target < now,
        or_(c.acknowledged_at.is_(None), c.acknowledged_at < since),
    )
    return clause if overdue else not_(clause)

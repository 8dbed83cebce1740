"""Preview severity rules on stored issues (the API's dry run): each issue's first
event, the one that decided its severity, is judged again under the proposed rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from faultbox.lifecycle.severity import SEVERITIES, SeverityRule, derive_severity
from faultbox.model import event_from_dict
from faultbox.store.payload import unpack
from faultbox.store.schema import events, issues

PREVIEW_ISSUES = 500  # the most recently seen issues are checked


def preview_severity(
    conn: Connection, project_id: int, proposed: Sequence[SeverityRule]
) -> dict[str, Any]:
    first = (
        select(events.c.payload)
        .where(events.c.issue_id == issues.c.id)
        .order_by(events.c.timestamp, events.c.id)
        .limit(1)
        .scalar_subquery()
    )
    rows = conn.execute(
        select(
            issues.c.id,
            issues.c.short_id,
            issues.c.title,
            issues.c.severity,
            issues.c.severity_reason,
            first.label("payload"),
        )
        .where(issues.c.project_id == project_id)
        .order_by(issues.c.last_seen.desc(), issues.c.id.desc())
        .limit(PREVIEW_ISSUES)
    ).all()
    counts = dict.fromkeys(SEVERITIES, 0)
    changes: list[dict[str, Any]] = []
    for row in rows:
        if row.payload is None:
            continue
        severity, reason = derive_severity(event_from_dict(unpack(row.payload)), proposed)
        counts[severity] += 1
        if severity != row.severity:
            changes.append(
                {
                    "issue_id": row.id,
                    "short_id": f"ERR-{row.short_id}",
                    "title": row.title,
                    "severity": row.severity,
                    "severity_reason": row.severity_reason,
                    "proposed": severity,
                    "reason": reason,
                }
            )
    return {"issues_checked": len(rows), "by_severity": counts, "would_change": changes}

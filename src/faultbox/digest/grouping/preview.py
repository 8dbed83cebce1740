"""Preview new fingerprint rules on stored issues (the API's and CLI's dry run).

Each issue's latest event is regrouped with the digest's own code under the
current and the proposed rules; the issues whose group would change are listed
with the other issues they would share it with.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from faultbox.digest.grouping import group_event
from faultbox.digest.grouping.in_app import InAppRules
from faultbox.digest.grouping.rules import FingerprintRule
from faultbox.model import event_from_dict
from faultbox.store.payload import unpack
from faultbox.store.schema import events, issues

PREVIEW_ISSUES = 500  # the most recently seen issues are checked


def preview_rules(
    conn: Connection,
    project_id: int,
    current: Sequence[FingerprintRule],
    proposed: Sequence[FingerprintRule],
    in_app_rules: InAppRules | None = None,
) -> dict[str, Any]:
    latest = (
        select(events.c.payload)
        .where(events.c.issue_id == issues.c.id)
        .order_by(events.c.timestamp.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = conn.execute(
        select(issues.c.id, issues.c.short_id, issues.c.title, latest.label("payload"))
        .where(issues.c.project_id == project_id)
        .order_by(issues.c.last_seen.desc())
        .limit(PREVIEW_ISSUES)
    ).all()
    changes: list[dict[str, Any]] = []
    new_groups: dict[str, list[int]] = {}
    for row in rows:
        if row.payload is None:
            continue
        event = event_from_dict(unpack(row.payload))
        before = group_event(event, fingerprint_rules=current, in_app_rules=in_app_rules).grouping
        decision = group_event(event, fingerprint_rules=proposed, in_app_rules=in_app_rules)
        after, rule = decision.grouping, decision.rule
        new_groups.setdefault(after.hash, []).append(row.id)
        if before.hash != after.hash:
            changes.append(
                {
                    "issue_id": row.id,
                    "short_id": f"ERR-{row.short_id}",
                    "title": row.title,
                    "rule": rule.text if rule else None,
                    "new_group": after.hash,
                    "new_components": list(after.components),
                }
            )
    for change in changes:
        change["grouped_with"] = [
            i for i in new_groups[change["new_group"]] if i != change["issue_id"]
        ]
    return {"issues_checked": len(rows), "would_change": changes}

"""What the lifecycle does when a digested batch is stored, in the same transaction:
new issues get their severity, type and a ``created`` entry; issues that receive
events may reopen (regression) or stop being ignored; events' releases are recorded.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection

from faultbox import clock
from faultbox.lifecycle.new_issues import on_new_issues
from faultbox.lifecycle.reopen import on_events
from faultbox.store.batch import BatchResult


def after_batch(
    conn: Connection, result: BatchResult, severity_rules: Mapping[int, str | None]
) -> None:
    """``severity_rules``: each project's stored rule text (None: the defaults)."""
    if not result.events_by_issue:
        return
    now = clock.now()
    new = set(result.new_issue_ids)
    on_new_issues(
        conn, {i: e for i, e in result.events_by_issue.items() if i in new}, severity_rules, now
    )
    on_events(conn, result.events_by_issue, new, now)

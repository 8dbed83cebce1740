"""What a new issue gets in the batch that opens it: a severity (project rules or
the level default), a taxonomy type, the time its status started, and the activity
entries ``created``, ``severity`` and ``taxonomy`` (by Faultbox: user None).

Set-based: one UPDATE (executemany) and one INSERT for the whole batch.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping

from sqlalchemy import Connection

from faultbox.lifecycle.severity import SeverityRule, derive_severity, parse_severity_rules
from faultbox.lifecycle.status import Status
from faultbox.lifecycle.taxonomy import classify
from faultbox.matchers import RuleSyntaxError
from faultbox.model import Event
from faultbox.store.activity import Activity, record
from faultbox.store.issue_fields import update_issues

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=256)
def _rules(text: str | None) -> tuple[SeverityRule, ...]:
    """Parsed once per distinct text; a bad stored text (the API validates, so only
    an old row) is logged and the defaults apply rather than stopping the digest."""
    if not text:
        return ()
    try:
        return parse_severity_rules(text)
    except RuleSyntaxError as exc:
        log.error("bad severity rules, using the defaults: %s", exc)
        return ()


def on_new_issues(
    conn: Connection,
    events_by_new_issue: dict[int, list[Event]],
    severity_rules: Mapping[int, str | None],
    now: float,
) -> None:
    updates = []
    entries: list[Activity] = []
    for issue_id, events in sorted(events_by_new_issue.items()):
        if not events:
            continue
        # The issue's first event decides (a batch may hold several of them).
        first = min(events, key=lambda e: e.timestamp)
        project_id = first.project_id
        severity, severity_reason = derive_severity(first, _rules(severity_rules.get(project_id)))
        taxonomy, taxonomy_reason = classify(first)
        updates.append(
            {
                "id": issue_id,
                "severity": severity,
                "severity_reason": severity_reason,
                "taxonomy": taxonomy,
                "taxonomy_reason": taxonomy_reason,
                "status_changed_at": now,
            }
        )
        entries += [
            Activity(issue_id, project_id, "created", now, new_value=Status.DETECTED.value),
            Activity(
                issue_id,
                project_id,
                "severity",
                now,
                field="severity",
                new_value=severity,
                note=severity_reason,
            ),
            Activity(
                issue_id,
                project_id,
                "taxonomy",
                now,
                field="taxonomy",
                new_value=taxonomy,
                note=taxonomy_reason,
            ),
        ]
    update_issues(conn, updates)
    record(conn, entries)

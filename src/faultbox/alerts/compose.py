"""Turn a firing into the notification people read: the issue's summary when there is
one (title, ERR-n, level, counts, first/last seen, a link), the rule's explanation."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, select

from faultbox.alerts.channels.base import Kind, Notification
from faultbox.alerts.model import Firing
from faultbox.store.alert_rules import RuleRow
from faultbox.store.schema import issues, projects


def _iso(at: float | None) -> str:
    return datetime.fromtimestamp(at, tz=UTC).isoformat(timespec="seconds") if at else ""


def pager_key(rule: RuleRow, firing: Firing) -> str:
    """One page per rule and subject: a firing again for the same subject while the
    page is open updates it (PagerDuty dedup_key, Opsgenie alias)."""
    return f"faultbox-{rule.project_id}-{rule.id}-{firing.subject}"[:255]


def compose(
    conn: Connection,
    firing: Firing,
    rule: RuleRow,
    *,
    public_url: str,
    kind: Kind = "trigger",
) -> Notification:
    project = conn.execute(
        select(projects.c.slug, projects.c.name).where(projects.c.id == rule.project_id)
    ).one()
    issue = None
    if firing.issue_id is not None:
        issue = conn.execute(select(issues).where(issues.c.id == firing.issue_id)).first()
    if issue is None:
        page = f"{public_url}/projects/{project.slug}/issues"
        if firing.subject.startswith("monitor:"):  # a cron monitor: its runs page
            page = f"{public_url}/projects/{project.slug}/monitors/{firing.subject[8:]}"
        return Notification(
            kind=kind,
            title=f"{rule.name}: {firing.subject}",
            text=firing.explanation,
            dedup_key=pager_key(rule, firing),
            project=project.name,
            severity=firing.severity,
            url=page,
        )
    return Notification(
        kind=kind,
        title=f"ERR-{issue.short_id}: {issue.title}",
        text=f"{rule.name}: {firing.explanation}",
        dedup_key=pager_key(rule, firing),
        project=project.name,
        short_id=f"ERR-{issue.short_id}",
        level=issue.level,
        severity=firing.severity,
        release=issue.last_release or "",
        culprit=issue.culprit or "",
        event_count=int(issue.times_seen),
        first_seen=_iso(issue.first_seen),
        last_seen=_iso(issue.last_seen),
        url=f"{public_url}/issues/{issue.id}",
    )

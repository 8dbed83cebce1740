"""Tickets follow their issue: when an issue is fixed (resolved, verified, closed), each
ticket still open for it gets a "resolve" delivery that closes it in GitHub, GitLab or
Jira. The dispatcher marks the ticket closed once the service confirms
(``issue_tickets.set_state`` / ``record_ticket``); until then this keeps finding it, and
the idempotency key (issue + the time it was resolved) makes that one delivery, while a
regression resolved again later closes the (re-opened or new) ticket again.

The runner calls :func:`close_for_resolved_issues` every few seconds."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, func, select

from faultbox.alerts import outbox
from faultbox.alerts.channels.base import Notification
from faultbox.lifecycle.status import FIXED
from faultbox.store.schema import alert_channels, issue_tickets, issues, projects

_FIXED = sorted(s.value for s in FIXED)


def _iso(at: float | None) -> str:
    return datetime.fromtimestamp(at, tz=UTC).isoformat(timespec="seconds") if at else ""


def close_for_resolved_issues(conn: Connection, now: float, *, public_url: str) -> int:
    """Enqueue a "resolve" for every open ticket whose issue is fixed; returns how many
    deliveries were enqueued (none for a ticket already queued for this resolution)."""
    resolved_at = func.coalesce(issues.c.resolved_at, issues.c.status_changed_at)
    rows = conn.execute(
        select(
            issue_tickets.c.issue_id,
            issue_tickets.c.channel_id,
            issue_tickets.c.reference,
            issues.c.project_id,
            issues.c.short_id,
            issues.c.title,
            issues.c.level,
            issues.c.status,
            issues.c.resolved_in_release,
            issues.c.times_seen,
            issues.c.last_seen,
            resolved_at.label("resolved_at"),
            projects.c.name.label("project"),
        )
        .join(issues, issues.c.id == issue_tickets.c.issue_id)
        .join(projects, projects.c.id == issues.c.project_id)
        .join(alert_channels, alert_channels.c.id == issue_tickets.c.channel_id)
        .where(
            issue_tickets.c.state == "open",
            issues.c.status.in_(_FIXED),
            alert_channels.c.enabled.is_(True),
        )
        .order_by(issue_tickets.c.id)
    ).all()
    enqueued = 0
    for row in rows:
        how = f"Marked {row.status} in Faultbox"
        if row.resolved_in_release:
            how += f" (fixed in release {row.resolved_in_release})"
        notification = Notification(
            kind="resolve",
            title=f"ERR-{row.short_id}: {row.title}",
            text=how + ".",
            dedup_key=f"faultbox-ticket-{row.issue_id}",
            project=row.project,
            short_id=f"ERR-{row.short_id}",
            level=row.level,
            release=row.resolved_in_release or "",
            event_count=int(row.times_seen),
            last_seen=_iso(row.last_seen),
            url=f"{public_url.rstrip('/')}/issues/{row.issue_id}",
            reference=row.reference,
        )
        delivery_id = outbox.enqueue(
            conn,
            notification,
            project_id=row.project_id,
            channel_id=row.channel_id,
            idempotency_key=f"ticket-close:{row.issue_id}:{(row.resolved_at or 0.0):.6f}",
            now=now,
            issue_id=row.issue_id,
        )
        enqueued += delivery_id is not None
    return enqueued
